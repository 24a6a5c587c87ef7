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
        auth.MapPost("/login", Login).AllowAnonymous()
            .WithSummary("Sign in with username and password; returns a bearer token and its expiry");
        auth.MapPost("/logout", Logout).WithSummary("End this session");
        auth.MapGet("/me", GetMe).WithSummary("The signed-in user and their permissions");
        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, UnauthorizedHttpResult, ProblemHttpResult>> Login(
        LoginRequest request, NpgsqlDataSource db, SessionStore sessions, ILogger<SessionStore> logger, CancellationToken cancellationToken)
    {
        var validation = new Validation().Required("username", request.Username, 50).Required("password", request.Password, 128);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            if (await sessions.ThrottledForAsync(request.Username!) is { } wait)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed logins",
                    detail: $"Try again in {Math.Ceiling(wait.TotalMinutes)} minutes.", extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = (int)wait.TotalSeconds });
            }

            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var account = await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition(
                "SELECT id, role, password_hash FROM users WHERE username = @Username AND status = 'active'",
                request, cancellationToken: cancellationToken));
            var valid = Passwords.Verify(account?.PasswordHash ?? DecoyHash, request.Password!) && account is not null;
            if (!valid)
            {
                await sessions.RecordFailureAsync(request.Username!);
                logger.LogInformation("Failed login for {Username}", request.Username);
                return TypedResults.Unauthorized();
            }

            var (token, session) = await sessions.CreateAsync(account!.Id, account.Role);
            var user = await connection.QuerySingleOrDefaultAsync<UserProfile>(new CommandDefinition("""
                UPDATE users SET last_login_at = now() WHERE id = @Id AND status = 'active'
                RETURNING id, username, email, full_name, role, specialty, phone, profile_image_url, created_at, last_login_at, status, preferences
                """, account, cancellationToken: cancellationToken));
            if (user is null)
            {
                // Deactivated while signing in: the session must not outlive this instant.
                await sessions.EndAsync(token, account.Id);
                return TypedResults.Unauthorized();
            }

            await sessions.ClearFailuresAsync(request.Username!);
            return TypedResults.Ok(new LoginResponse(token, DateTimeOffset.FromUnixTimeSeconds(session.Expires), user, session.Permissions));
        }
        catch (SessionStoreUnavailableException)
        {
            // Without Redis there can be no session: refuse rather than let anyone in.
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable",
                detail: "Sign-in is unavailable: the session store cannot be reached.");
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
        var profile = await UsersApi.FindAsync(db, user.Id(), cancellationToken);
        return profile is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new Me(profile, user.Role(), user.FindAll(CurrentUser.PermissionClaim).Select(c => c.Value).ToList()));
    }

    private sealed record Account(Guid Id, string Role, string PasswordHash);
}
