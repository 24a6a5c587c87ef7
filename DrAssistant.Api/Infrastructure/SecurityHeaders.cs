using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// Headers every answer carries: <c>X-Content-Type-Options: nosniff</c> (a browser never guesses a type), and on
/// <c>/api</c> <c>Cache-Control: no-store</c> (patient data and sign-in tokens stay out of browser and proxy caches).
/// No <c>Server</c> header says what runs here.
/// </summary>
public static class SecurityHeaders
{
    public static IHostApplicationBuilder AddSecurityHeaders(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<KestrelServerOptions>(options => options.AddServerHeader = false);
        return builder;
    }

    /// <summary>First in the pipeline, so answers written by the exception handler, authentication and rate limiter get them too.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        // OnStarting callbacks run last-registered first: this one, registered before any other middleware's, has
        // the last word (the exception handler's own cache headers included).
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.Remove("Server");
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                headers.CacheControl = "no-store";
            }

            return Task.CompletedTask;
        });
        return next(context);
    });
}
