using System.Security.Claims;
using System.Text.Json;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Users;

/// <summary>Pattern 4 (the profile, never the password hash) and the writes of staff accounts.</summary>
public static class UsersApi
{
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
        var validation = UsersRules.ValidateList(role, status);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return TypedResults.Ok(paging.ToPage(await UsersQueries.ListAsync(db, role, status, paging, cancellationToken)));
    }

    public static async Task<Results<Ok<UserProfile>, NotFound>> GetUser(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        await UsersQueries.FindAsync(db, id, cancellationToken) is { } user ? TypedResults.Ok(user) : TypedResults.NotFound();

    public static async Task<Results<Created<UserProfile>, ValidationProblem, Conflict<ProblemDetails>, ProblemHttpResult>> CreateUser(
        CreateUserRequest request, HttpContext context, NpgsqlDataSource db, PasswordHashing hashing, CancellationToken cancellationToken)
    {
        var validation = UsersRules.Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var user = await UsersQueries.CreateAsync(db, request, await hashing.HashAsync(request.Password!, cancellationToken), cancellationToken);
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

    /// <remarks><paramref name="cache"/> is optional so that a test can call the handler with a Redis nobody answers at.</remarks>
    public static async Task<Results<Ok<UserProfile>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ProblemHttpResult>> UpdateUser(
        Guid id, UpdateUserRequest request, NpgsqlDataSource db, SessionStore sessions, CancellationToken cancellationToken, CachePolicy? cache = null)
    {
        var validation = UsersRules.Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var outcome = await UsersQueries.UpdateAsync(db, sessions, cache, id, request, cancellationToken);
            return outcome.Result switch
            {
                UserUpdateResult.Done => TypedResults.Ok(outcome.User!),
                UserUpdateResult.NotFound => TypedResults.NotFound(),
                _ => Problems.Conflict(
                    $"This is the clinic's last active administrator: make another user an administrator before changing its {outcome.Field}.", outcome.Field),
            };
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

    /// <summary>
    /// Your own password (an administrator's too) needs the current one: a token alone must not be enough to take an
    /// account over for good. Your own change keeps the session that made it; an administrator's reset ends them all.
    /// </summary>
    public static async Task<Results<NoContent, NotFound, ValidationProblem, ForbidHttpResult, Conflict<ProblemDetails>, ProblemHttpResult>> SetPassword(
        Guid id, SetPasswordRequest request, ClaimsPrincipal caller, HttpContext context, NpgsqlDataSource db, SessionStore sessions,
        LoginThrottle throttle, PasswordHashing hashing, CancellationToken cancellationToken)
    {
        if (!caller.IsSelfOrAdmin(id))
        {
            return TypedResults.Forbid();
        }

        var own = caller.Id() == id;
        if (await UsersQueries.CredentialsAsync(db, id, cancellationToken) is not { } account)
        {
            return TypedResults.NotFound();
        }

        var validation = UsersRules.ValidatePassword(request, account, own);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return await ChangePasswordAsync(id, request, account, own, own ? caller.SessionId() : null, context, db, sessions, throttle, hashing, cancellationToken);
    }

    /// <summary>
    /// The checked change: your own (<paramref name="own"/>) once the current password is verified, keeping the session
    /// that asks (<paramref name="keepSession"/>); an administrator's reset ending them all.
    /// </summary>
    private static async Task<Results<NoContent, NotFound, ValidationProblem, ForbidHttpResult, Conflict<ProblemDetails>, ProblemHttpResult>> ChangePasswordAsync(
        Guid id, SetPasswordRequest request, Credentials account, bool own, string? keepSession, HttpContext context, NpgsqlDataSource db, SessionStore sessions,
        LoginThrottle throttle, PasswordHashing hashing, CancellationToken cancellationToken)
    {
        try
        {
            if (own && await RefuseCurrentPasswordAsync(request, account, context, throttle, hashing, cancellationToken) is { } refused)
            {
                return refused;
            }

            var hash = await hashing.HashAsync(request.Password!, cancellationToken);
            if (!await UsersQueries.SetPasswordAsync(db, sessions, id, hash, account.PasswordHash, keepSession, cancellationToken))
            {
                return Problems.Conflict("The password was changed meanwhile; nothing was changed. Try again.", "password");
            }

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

    /// <summary>A wrong current password counts against the account like a failed sign-in: a 429 when locked, a 403 when wrong.</summary>
    private static async Task<ProblemHttpResult?> RefuseCurrentPasswordAsync(
        SetPasswordRequest request, Credentials account, HttpContext context, LoginThrottle throttle, PasswordHashing hashing, CancellationToken cancellationToken)
    {
        if (await throttle.CountAttemptAsync(account.Username, accountExists: true) is { } wait)
        {
            return AuthProblems.Locked(context, wait, "Too many password attempts for this account.");
        }

        if (await hashing.VerifyAsync(account.PasswordHash, request.CurrentPassword!, cancellationToken))
        {
            return null;
        }

        return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
            detail: "currentPassword is not your current password.",
            extensions: new Dictionary<string, object?>
            {
                ["errors"] = new Dictionary<string, string[]> { ["currentPassword"] = ["currentPassword is not your current password."] },
            });
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Unlock(
        Guid id, NpgsqlDataSource db, LoginThrottle throttle, CancellationToken cancellationToken)
    {
        if (await UsersQueries.UsernameAsync(db, id, cancellationToken) is not { } username)
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

        return await UsersQueries.PreferencesAsync(db, cache, lifetimes.Value, id, cancellationToken) is { } preferences
            ? TypedResults.Ok(preferences)
            : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<JsonElement>, NotFound, ValidationProblem, ForbidHttpResult>> SetPreferences(
        Guid id, JsonElement preferences, ClaimsPrincipal caller, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        if (!caller.IsSelfOrAdmin(id))
        {
            return TypedResults.Forbid();
        }

        if (preferences.ValueKind != JsonValueKind.Object)
        {
            return Problems.Invalid("body", "Preferences must be a JSON object.");
        }

        return await UsersQueries.SetPreferencesAsync(db, cache, id, preferences, cancellationToken)
            ? TypedResults.Ok(preferences)
            : TypedResults.NotFound();
    }
}
