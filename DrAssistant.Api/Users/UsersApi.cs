using System.Security.Claims;
using System.Text.Json;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Users;

/// <summary>Pattern 4 (the profile, never the password hash) and the writes of staff accounts.</summary>
public static class UsersApi
{
    private const string ProfileColumns = """
        id, username, email, full_name, role, specialty, phone, profile_image_url, created_at, last_login_at, status, preferences
        """;

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").WithTags("Users");
        users.MapGet("/", ListUsers).RequireAuthorization(Permissions.ReadUsers).WithSummary("Staff, filtered by role and status, paged");
        users.MapGet("/{id:guid}", GetUser).RequireAuthorization(Permissions.ReadUsers).WithSummary("A user's profile (never the password hash)");
        users.MapPost("/", CreateUser).RequireAuthorization(Permissions.AdminUsers).WithSummary("Create a user; the password is stored only as a salted hash");
        users.MapPut("/{id:guid}", UpdateUser).RequireAuthorization(Permissions.AdminUsers)
            .WithSummary("Update a user's profile, role and status; a new role or a status other than active ends every session of the user");
        users.MapPut("/{id:guid}/password", SetPassword)
            .WithSummary("Set a new password: your own (with currentPassword; your other sessions end) or, as an administrator, anyone's (all their sessions end)");
        users.MapPost("/{id:guid}/unlock", Unlock).RequireAuthorization(Permissions.AdminUsers)
            .WithSummary("Lift a sign-in lock (too many attempts) now, instead of when it expires");
        users.MapGet("/{id:guid}/preferences", GetPreferences).WithSummary("Your preferences document (cached); administrators may read anyone's");
        users.MapPut("/{id:guid}/preferences", SetPreferences).WithSummary("Replace your preferences document");
        return app;
    }

    public static async Task<Results<Ok<PagedList<UserProfile>>, ValidationProblem>> ListUsers(
        NpgsqlDataSource db, string? role, string? status, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .OneOf("role", role, Vocabulary.Roles, required: false)
            .OneOf("status", status, Vocabulary.UserStatuses, required: false);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<UserProfile>(new CommandDefinition($"""
            SELECT {ProfileColumns}
            FROM users
            WHERE (@role::varchar IS NULL OR role = @role) AND (@status::varchar IS NULL OR status = @status)
            ORDER BY full_name, id
            LIMIT @Limit OFFSET @Offset
            """, new { role, status, paging.Limit, paging.Offset }, cancellationToken: cancellationToken));
        return TypedResults.Ok(paging.ToPage(rows));
    }

    public static async Task<Results<Ok<UserProfile>, NotFound>> GetUser(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = await FindAsync(db, id, cancellationToken);
        return user is null ? TypedResults.NotFound() : TypedResults.Ok(user);
    }

    public static async Task<Results<Created<UserProfile>, ValidationProblem, Conflict<ProblemDetails>, ProblemHttpResult>> CreateUser(
        CreateUserRequest request, HttpContext context, NpgsqlDataSource db, PasswordHashing hashing, CancellationToken cancellationToken)
    {
        var validation = ValidateProfile(request.Username, request.Email, request.FullName, request.Role, request.Specialty,
            request.Phone, request.ProfileImageUrl);
        if (PasswordRules.Problem("password", request.Password, request.Username, request.Email) is { } weak)
        {
            validation.Add("password", weak);
        }
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var passwordHash = await hashing.HashAsync(request.Password!, cancellationToken);
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var user = await connection.QuerySingleAsync<UserProfile>(new CommandDefinition($"""
                INSERT INTO users (username, email, full_name, role, specialty, phone, profile_image_url, password_hash, preferences)
                VALUES (@Username, @Email, @FullName, @Role, @Specialty, @Phone, @ProfileImageUrl, @PasswordHash, @Preferences)
                RETURNING {ProfileColumns}
                """, new
            {
                request.Username,
                request.Email,
                request.FullName,
                request.Role,
                request.Specialty,
                request.Phone,
                request.ProfileImageUrl,
                PasswordHash = passwordHash,
                Preferences = request.Preferences,
            }, cancellationToken: cancellationToken));
            return TypedResults.Created($"/api/users/{user.Id}", user);
        }
        catch (PostgresException ex) when (DbErrors.IsConflict(ex))
        {
            return DbErrors.Conflict(ex);
        }
        catch (PasswordHashingBusyException)
        {
            return AuthProblems.Busy(context);
        }
    }

    public static async Task<Results<Ok<UserProfile>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ProblemHttpResult>> UpdateUser(
        Guid id, UpdateUserRequest request, NpgsqlDataSource db, SessionStore sessions, CancellationToken cancellationToken)
    {
        var validation = ValidateProfile(request.Username, request.Email, request.FullName, request.Role, request.Specialty,
            request.Phone, request.ProfileImageUrl)
            .OneOf("status", request.Status, Vocabulary.UserStatuses);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var leavesAdmins = request.Role != "admin" || request.Status != "active";
            if (leavesAdmins)
            {
                // The last active administrator stays one. Every change that could take one away locks the active
                // administrators' rows first, always in id order (so two such changes wait for each other rather than
                // deadlock); the second then sees the first's result: two administrators demoting each other at once
                // leave one.
                var admins = (await connection.QueryAsync<Guid>(new CommandDefinition(
                    "SELECT id FROM users WHERE role = 'admin' AND status = 'active' ORDER BY id FOR UPDATE",
                    transaction: transaction, cancellationToken: cancellationToken))).ToList();
                if (admins is [var last] && last == id)
                {
                    var field = request.Role != "admin" ? "role" : "status";
                    return Problems.Conflict(
                        $"This is the clinic's last active administrator: make another user an administrator before changing its {field}.", field);
                }
            }

            var before = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT role FROM users WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
            if (before is null)
            {
                return TypedResults.NotFound();
            }

            var user = await connection.QuerySingleAsync<UserProfile>(new CommandDefinition($"""
                UPDATE users
                SET username = @Username, email = @Email, full_name = @FullName, role = @Role, specialty = @Specialty,
                    phone = @Phone, profile_image_url = @ProfileImageUrl, status = @Status
                WHERE id = @id
                RETURNING {ProfileColumns}
                """, new
            {
                id,
                request.Username,
                request.Email,
                request.FullName,
                request.Role,
                request.Specialty,
                request.Phone,
                request.ProfileImageUrl,
                request.Status,
            }, transaction, cancellationToken: cancellationToken));

            // A session carries the role's permissions of the moment it was made: a new role, or a user who is no
            // longer active, ends them all, before the change commits. If they cannot be ended, nothing changes.
            if (user.Role != before || user.Status != "active")
            {
                await sessions.EndAllAsync(id);
            }

            await transaction.CommitAsync(cancellationToken);
            return TypedResults.Ok(user);
        }
        catch (PostgresException ex) when (DbErrors.IsConflict(ex))
        {
            return DbErrors.Conflict(ex);
        }
        catch (SessionStoreUnavailableException)
        {
            return AuthProblems.SessionStoreUnavailable(
                "The user's sessions cannot be ended now (the session store is unreachable); nothing was changed.");
        }
    }

    public static async Task<Results<NoContent, NotFound, ValidationProblem, ForbidHttpResult, Conflict<ProblemDetails>, ProblemHttpResult>> SetPassword(
        Guid id, SetPasswordRequest request, ClaimsPrincipal caller, HttpContext context, NpgsqlDataSource db, SessionStore sessions,
        LoginThrottle throttle, PasswordHashing hashing, CancellationToken cancellationToken)
    {
        if (!caller.IsSelfOrAdmin(id))
        {
            return TypedResults.Forbid();
        }

        // Your own password (an administrator's too) needs the current one: a token alone must not be enough to take an
        // account over for good.
        var own = caller.Id() == id;
        Credentials? account;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            account = await connection.QuerySingleOrDefaultAsync<Credentials>(new CommandDefinition(
                "SELECT username, email, password_hash FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        }

        if (account is null)
        {
            return TypedResults.NotFound();
        }

        var validation = new Validation();
        if (own && string.IsNullOrEmpty(request.CurrentPassword))
        {
            validation.Add("currentPassword", "currentPassword is required to change your own password.");
        }

        if (PasswordRules.Problem("password", request.Password, account.Username, account.Email) is { } weak)
        {
            validation.Add("password", weak);
        }
        if (own && request.Password is not null && request.Password == request.CurrentPassword)
        {
            validation.Add("password", "password must differ from currentPassword.");
        }

        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            if (own)
            {
                // A wrong current password counts against the account like a failed sign-in.
                if (await throttle.CountAttemptAsync(account.Username, accountExists: true) is { } wait)
                {
                    return AuthProblems.Locked(context, wait, "Too many password attempts for this account.");
                }

                if (!await hashing.VerifyAsync(account.PasswordHash, request.CurrentPassword!, cancellationToken))
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                        detail: "currentPassword is not your current password.",
                        extensions: new Dictionary<string, object?>
                        {
                            ["errors"] = new Dictionary<string, string[]> { ["currentPassword"] = ["currentPassword is not your current password."] },
                        });
                }
            }

            var hash = await hashing.HashAsync(request.Password!, cancellationToken);
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // Only over the password that was checked: two changes at once do not both win.
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET password_hash = @hash WHERE id = @id AND password_hash = @old",
                new { id, hash, old = account.PasswordHash }, transaction, cancellationToken: cancellationToken));
            if (updated == 0)
            {
                return Problems.Conflict("The password was changed meanwhile; nothing was changed. Try again.", "password");
            }

            // Before committing: a password change whose old sessions cannot be ended does not happen. Your own change
            // keeps the session that made it; an administrator's reset ends them all.
            if (own && caller.SessionId() is { } current)
            {
                await sessions.EndAllButAsync(id, current);
            }
            else
            {
                await sessions.EndAllAsync(id);
            }

            await transaction.CommitAsync(cancellationToken);
            // A new password starts a new count (and a reset is how a locked-out user gets back in).
            await throttle.ResetAsync(account.Username);
            return TypedResults.NoContent();
        }
        catch (SessionStoreUnavailableException)
        {
            return AuthProblems.SessionStoreUnavailable(
                "The password cannot be changed now: the sessions it must end cannot be reached. Nothing was changed.");
        }
        catch (PasswordHashingBusyException)
        {
            if (own)
            {
                // Counted, but no wrong password was seen: a busy server must not lock the account.
                await AuthApi.RefundQuietlyAsync(throttle, account.Username);
            }

            return AuthProblems.Busy(context);
        }
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Unlock(
        Guid id, NpgsqlDataSource db, LoginThrottle throttle, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var username = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT username FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (username is null)
        {
            return TypedResults.NotFound();
        }

        try
        {
            await throttle.ResetAsync(username);
            return TypedResults.NoContent();
        }
        catch (SessionStoreUnavailableException)
        {
            return AuthProblems.SessionStoreUnavailable("The sign-in lock cannot be lifted now: the session store is unreachable.");
        }
    }

    public static async Task<Results<Ok<JsonElement>, NotFound, ForbidHttpResult>> GetPreferences(
        Guid id, ClaimsPrincipal caller, NpgsqlDataSource db, RedisCache cache, IOptions<CacheOptions> lifetimes, CancellationToken cancellationToken)
    {
        if (!caller.IsSelfOrAdmin(id))
        {
            return TypedResults.Forbid();
        }

        var preferences = await cache.GetOrLoadAsync("user-preferences", CacheKeys.UserPreferences(id), lifetimes.Value.UserPreferences,
            async ct =>
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                var row = await connection.QuerySingleOrDefaultAsync<PreferencesRow>(new CommandDefinition(
                    "SELECT preferences FROM users WHERE id = @id", new { id }, cancellationToken: ct));
                // A user without preferences has an empty document; an unknown user has none at all.
                return row is null ? null : new PreferencesDocument(row.Preferences ?? EmptyObject);
            }, cancellationToken);
        return preferences is null ? TypedResults.NotFound() : TypedResults.Ok(preferences.Value);
    }

    public static async Task<Results<Ok<JsonElement>, NotFound, ValidationProblem, ForbidHttpResult>> SetPreferences(
        Guid id, JsonElement preferences, ClaimsPrincipal caller, NpgsqlDataSource db, RedisCache cache, CancellationToken cancellationToken)
    {
        if (!caller.IsSelfOrAdmin(id))
        {
            return TypedResults.Forbid();
        }

        if (preferences.ValueKind != JsonValueKind.Object)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["Preferences must be a JSON object."] });
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET preferences = @preferences WHERE id = @id", new { id, preferences }, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return TypedResults.NotFound();
        }

        await cache.RemoveAsync(CacheKeys.UserPreferences(id));
        return TypedResults.Ok(preferences);
    }

    public static async Task<UserProfile?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserProfile>(new CommandDefinition(
            $"SELECT {ProfileColumns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static Validation ValidateProfile(
        string? username, string? email, string? fullName, string? role, string? specialty, string? phone, string? profileImageUrl) =>
        new Validation()
            .Required("username", username, 50)
            .Email("email", email, 100, required: true)
            .Required("fullName", fullName, 100)
            .OneOf("role", role, Vocabulary.Roles)
            .MaxLength("specialty", specialty, 50)
            .MaxLength("phone", phone, 20)
            .MaxLength("profileImageUrl", profileImageUrl, 255)
            .When(profileImageUrl is not null && !Uri.TryCreate(profileImageUrl, UriKind.Absolute, out _), "profileImageUrl", "profileImageUrl must be an absolute URL.")
            .When(username is not null && username.Any(char.IsWhiteSpace), "username", "username must not contain spaces.");

    private sealed record PreferencesRow(JsonElement? Preferences);

    private sealed record Credentials(string Username, string Email, string PasswordHash);

    /// <summary>A JSON value wrapped in a class, so the cache can tell "none" from a document.</summary>
    private sealed record PreferencesDocument(JsonElement Value);
}
