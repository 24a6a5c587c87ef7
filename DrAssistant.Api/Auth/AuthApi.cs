using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Auth;

public sealed record LoginRequest(string? Username, string? Password);

public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, UserProfile User, IReadOnlyList<string> Permissions);

public sealed record Me(UserProfile User, string Role, IReadOnlyList<string> Permissions);

/// <summary>Login (a session in Redis), logout, and who am I.</summary>
public static class AuthApi
{
    /// <summary>Verified when the username is unknown, so both failures cost the same PBKDF2 work.</summary>
    private static readonly string DecoyHash = Passwords.Hash(Guid.NewGuid().ToString());

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Authentication");
        auth.MapPost("/login", Login).AllowAnonymous().RequireRateLimiting(AuthExtensions.LoginRateLimitPolicy)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Sign in with username and password; returns a bearer token and its expiry");
        auth.MapPost("/logout", Logout).WithSummary("End this session");
        auth.MapGet("/me", GetMe).WithSummary("The signed-in user and their permissions");
        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, UnauthorizedHttpResult, ProblemHttpResult>> Login(
        LoginRequest request, HttpContext context, NpgsqlDataSource db, SessionStore sessions, LoginThrottle throttle,
        PasswordHashing hashing, ILogger<SessionStore> logger, CancellationToken cancellationToken)
    {
        var validation = new Validation().Required("username", request.Username, 50).Required("password", request.Password, 128);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var username = request.Username!.Trim();
        Account? account = null;
        try
        {
            // The connection goes back to the pool before the (possibly queued) hash: a flood of sign-ins must not
            // hold the pool.
            await using (var connection = await db.OpenConnectionAsync(cancellationToken))
            {
                // One login per name whatever its case (the database's lower(username) index); an exact match first
                // should two rows ever differ only by case.
                account = await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition("""
                    SELECT id, username, role, password_hash FROM users
                    WHERE lower(username) = lower(@username) AND status = 'active'
                    ORDER BY username = @username DESC, id
                    LIMIT 1
                    """, new { username }, cancellationToken: cancellationToken));
            }

            // Counted before the check, atomically: parallel attempts can never check more passwords than the limit.
            if (await throttle.CountAttemptAsync(account?.Username ?? username, account is not null) is { } wait)
            {
                logger.LogWarning("Sign-in refused for {Username}: locked after too many attempts", username);
                return AuthProblems.Locked(context, wait, "Too many sign-in attempts for this account.");
            }

            var valid = await hashing.VerifyAsync(account?.PasswordHash ?? DecoyHash, request.Password!, cancellationToken) && account is not null;
            if (!valid)
            {
                logger.LogInformation("Failed login for {Username}", username);
                return TypedResults.Unauthorized();
            }

            var (token, session) = await sessions.CreateAsync(account!.Id, account.Role);
            UserProfile? user;
            await using (var connection = await db.OpenConnectionAsync(cancellationToken))
            {
                // The row as it was checked: deactivated, given another role or another password since (each of which
                // ended the user's sessions, maybe before this one existed), the new session must not outlive this instant.
                user = await connection.QuerySingleOrDefaultAsync<UserProfile>(new CommandDefinition("""
                    UPDATE users SET last_login_at = now()
                    WHERE id = @Id AND status = 'active' AND role = @Role AND password_hash = @PasswordHash
                    RETURNING id, username, email, full_name, role, specialty, phone, profile_image_url, created_at, last_login_at, status, preferences
                    """, account, cancellationToken: cancellationToken));
            }

            if (user is null)
            {
                await sessions.EndAsync(token, account.Id);
                return TypedResults.Unauthorized();
            }

            await throttle.ResetAsync(account.Username);
            return TypedResults.Ok(new LoginResponse(token, DateTimeOffset.FromUnixTimeSeconds(session.Expires), user, session.Permissions));
        }
        catch (SessionStoreUnavailableException)
        {
            // Without Redis there can be no session: refuse rather than let anyone in.
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable",
                detail: "Sign-in is unavailable: the session store cannot be reached.");
        }
        catch (PasswordHashingBusyException)
        {
            if (account is not null)
            {
                await RefundQuietlyAsync(throttle, account.Username);
            }

            return AuthProblems.Busy(context);
        }
    }

    /// <summary>Gives back an attempt that was never checked; if Redis fails now, the attempt simply stays counted.</summary>
    internal static async Task RefundQuietlyAsync(LoginThrottle throttle, string username)
    {
        try
        {
            await throttle.RefundAsync(username);
        }
        catch (SessionStoreUnavailableException)
        {
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Logout(HttpContext context, ClaimsPrincipal user, SessionStore sessions)
    {
        try
        {
            await sessions.EndAsync(SessionAuthenticationHandler.TokenOf(context)!, user.Id());
            return TypedResults.NoContent();
        }
        catch (SessionStoreUnavailableException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable",
                detail: "The session store cannot be reached; the session ends by itself when it expires.");
        }
    }

    public static async Task<Results<Ok<Me>, NotFound>> GetMe(ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var profile = await UsersQueries.FindAsync(db, user.Id(), cancellationToken);
        return profile is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new Me(profile, user.Role(), user.FindAll(CurrentUser.PermissionClaim).Select(c => c.Value).ToList()));
    }

    private sealed record Account(Guid Id, string Username, string Role, string PasswordHash);
}

/// <summary>The refusals of sign-in and password checks, each saying when to come back.</summary>
public static class AuthProblems
{
    public static ProblemHttpResult Locked(HttpContext context, TimeSpan wait, string title)
    {
        var seconds = (int)Math.Max(1, Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: title,
            detail: $"Try again in {Math.Ceiling(seconds / 60.0)} minute(s), or ask an administrator to unlock the account.",
            extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = seconds });
    }

    public static ProblemHttpResult Busy(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service busy",
            detail: "Too many password checks are waiting; try again in a moment.");
    }

    public static ProblemHttpResult SessionStoreUnavailable(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable", detail: detail);
}
