using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
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
    /// <summary>The per-client limit on sign-in attempts (ASP.NET Core's rate limiter, keyed by client address).</summary>
    public const string LoginRateLimitPolicy = "login-per-client";

    public static IHostApplicationBuilder AddSessionAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName)
            .Validate(o => o.MaxFailedLogins > 0 && o.FailureWindow > TimeSpan.Zero, "Sessions:MaxFailedLogins and Sessions:FailureWindow must be more than 0.")
            .Validate(o => o.ClientLoginLimit > 0 && o.ClientLoginWindow > TimeSpan.Zero, "Sessions:ClientLoginLimit and Sessions:ClientLoginWindow must be more than 0.")
            .Validate(o => o.MaxConcurrentPasswordHashes > 0 && o.PasswordHashQueueLimit >= 0, "Sessions:MaxConcurrentPasswordHashes must be more than 0 and Sessions:PasswordHashQueueLimit at least 0.")
            .Validate(o => o.InvalidationHeartbeat >= TimeSpan.FromMilliseconds(10) && o.InvalidationHeartbeat <= TimeSpan.FromSeconds(10), "Sessions:InvalidationHeartbeat must be between 10 ms and 10 s.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SessionCache>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SessionCache>());
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<PasswordHashing>();
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
        builder.Services.AddRateLimiter(options =>
        {
            // One client can neither try a clinic's usernames quickly (locking them all out) nor keep the CPU busy
            // hashing: a sliding window of attempts per address, before any database or Redis work.
            options.AddPolicy(LoginRateLimitPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<SessionOptions>>().Value;
                return RateLimitPartition.GetSlidingWindowLimiter(ClientAddress.Of(context), _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = settings.ClientLoginLimit,
                    Window = settings.ClientLoginWindow,
                    SegmentsPerWindow = 6,
                    QueueLimit = 0,
                });
            });
            options.OnRejected = async (rejected, _) =>
            {
                var context = rejected.HttpContext;
                var settings = context.RequestServices.GetRequiredService<IOptions<SessionOptions>>().Value;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : settings.ClientLoginWindow / 6;
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many sign-in attempts from this address",
                        Detail = $"At most {settings.ClientLoginLimit} sign-in attempts per {settings.ClientLoginWindow.TotalMinutes:0.#} minute(s) from one address.",
                    },
                });
            };
        });
        builder.Services.AddHostedService<DevelopmentAdminBootstrap>();
        return builder;
    }
}

/// <summary>The key of the per-client limit: the connection's address (an IPv6 client by its /64, which one host usually owns).</summary>
public static class ClientAddress
{
    public static string Of(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }
}
