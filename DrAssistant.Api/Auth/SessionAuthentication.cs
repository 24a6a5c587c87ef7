using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace DrAssistant.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> of a live session in Redis. No token, an unknown or expired one, or a
/// Redis that cannot be reached all end the same way: 401 (fail closed).
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SessionStore sessions,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Session";
    private const string TokenItem = "session.token";

    public static string? TokenOf(HttpContext context) => context.Items[TokenItem] as string;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 200)
        {
            return AuthenticateResult.Fail("Malformed token.");
        }

        Session? session;
        try
        {
            session = await sessions.GetAndTouchAsync(token);
        }
        catch (SessionStoreUnavailableException ex)
        {
            Logger.LogWarning("Refusing {Path}: {Reason}", Request.Path, ex.InnerException?.Message);
            return AuthenticateResult.Fail("The session store is unavailable.");
        }

        if (session is null)
        {
            return AuthenticateResult.Fail("No live session for this token.");
        }

        Context.Items[TokenItem] = token;
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, session.UserId.ToString()),
            new(ClaimTypes.Role, session.Role),
            new(CurrentUser.SessionClaim, SessionStore.SessionIdOf(token)),
        };
        claims.AddRange(session.Permissions.Select(p => new Claim(CurrentUser.PermissionClaim, p)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = "Sign in (POST /api/auth/login) and send the token as 'Authorization: Bearer <token>'.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = properties.Items.TryGetValue("detail", out var detail) && detail is not null
                    ? detail
                    : "Your role does not allow this.",
            },
        });
    }
}

/// <summary>A 403 that names the permission the caller lacks.</summary>
public sealed class PermissionResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Forbidden && result.AuthorizationFailure is { } failure)
        {
            var missing = failure.FailedRequirements.OfType<ClaimsAuthorizationRequirement>()
                .SelectMany(r => r.AllowedValues ?? []).ToList();
            if (missing.Count > 0)
            {
                var properties = new AuthenticationProperties();
                properties.Items["detail"] = $"Your role lacks the permission {string.Join(", ", missing)}.";
                return context.ForbidAsync(SessionAuthenticationHandler.SchemeName, properties);
            }
        }

        return _default.HandleAsync(next, context, policy, result);
    }
}

public static class AuthExtensions
{
    public static IHostApplicationBuilder AddSessionAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName);
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(options =>
        {
            // Every endpoint needs a session unless it says otherwise (health, OpenAPI, login).
            options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
            foreach (var permission in Permissions.All)
            {
                options.AddPolicy(permission, policy => policy.RequireAuthenticatedUser().RequireClaim(CurrentUser.PermissionClaim, permission));
            }
        });
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, PermissionResultHandler>();
        builder.Services.AddHostedService<DevelopmentAdminBootstrap>();
        return builder;
    }
}
