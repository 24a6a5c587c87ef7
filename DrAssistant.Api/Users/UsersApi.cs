using System.Security.Claims;
using System.Text.Json;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
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
            .WithSummary("Update a user's profile, role and status; a user who is no longer active loses every session");
        users.MapPut("/{id:guid}/password", SetPassword).WithSummary("Set a new password (your own, or anyone's as an administrator)");
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

    public static async Task<Results<Created<UserProfile>, ValidationProblem, Conflict<ProblemDetails>>> CreateUser(
        CreateUserRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = ValidateProfile(request.Username, request.Email, request.FullName, request.Role, request.Specialty,
            request.Phone, request.ProfileImageUrl);
        ValidatePassword(validation, request.Password);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
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
                PasswordHash = Passwords.Hash(request.Password!),
                Preferences = request.Preferences,
            }, cancellationToken: cancellationToken));
            return TypedResults.Created($"/api/users/{user.Id}", user);
        }
        catch (PostgresException ex) when (DbErrors.IsConflict(ex))
        {
            return DbErrors.Conflict(ex);
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
            var user = await connection.QuerySingleOrDefaultAsync<UserProfile>(new CommandDefinition($"""
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
            if (user is null)
            {
                return TypedResults.NotFound();
            }

            if (user.Status != "active")
            {
                try
                {
                    // Before committing: a deactivation that cannot end the sessions does not happen.
                    await sessions.EndAllAsync(id);
                }
                catch (SessionStoreUnavailableException)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable",
                        detail: "The user's sessions cannot be ended now (the session store is unreachable); nothing was changed.");
                }
            }

            await transaction.CommitAsync(cancellationToken);
            return TypedResults.Ok(user);
        }
        catch (PostgresException ex) when (DbErrors.IsConflict(ex))
        {
            return DbErrors.Conflict(ex);
        }
    }

    public static async Task<Results<NoContent, NotFound, ValidationProblem, ForbidHttpResult>> SetPassword(
        Guid id, SetPasswordRequest request, ClaimsPrincipal caller, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (!caller.IsSelfOrAdmin(id))
        {
            return TypedResults.Forbid();
        }

        var validation = new Validation();
        ValidatePassword(validation, request.Password);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @hash WHERE id = @id",
            new { id, hash = Passwords.Hash(request.Password!) }, cancellationToken: cancellationToken));
        return updated == 0 ? TypedResults.NotFound() : TypedResults.NoContent();
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

    private static void ValidatePassword(Validation validation, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            validation.Add("password", "password is required.");
        }
        else if (password.Length is < 8 or > 128)
        {
            validation.Add("password", "password must be 8 to 128 characters.");
        }
    }

    private sealed record PreferencesRow(JsonElement? Preferences);

    /// <summary>A JSON value wrapped in a class, so the cache can tell "none" from a document.</summary>
    private sealed record PreferencesDocument(JsonElement Value);
}

/// <summary>ASP.NET Core's PasswordHasher: PBKDF2 with a per-password random salt, versioned format.</summary>
public static class Passwords
{
    private static readonly PasswordHasher<object> Hasher = new();
    private static readonly object Nobody = new();

    public static string Hash(string password) => Hasher.HashPassword(Nobody, password);

    public static bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(Nobody, hash, password) != PasswordVerificationResult.Failed;
}
