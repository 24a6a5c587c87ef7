using System.Text.Json.Nodes;
using DrAssistant.Api.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace DrAssistant.Api.ApiReference;

/// <summary>
/// How the OpenAPI document and Scalar describe signing in: the bearer scheme (the token from <c>POST /api/auth/login</c>),
/// which operations need it, and which permission each one needs (and which roles hold it), so a developer can sign in
/// once in Scalar and try every endpoint.
/// </summary>
public static class SignInDocumentation
{
    public const string SchemeName = "Bearer";

    /// <summary>The permission an operation needs, also as a machine-readable extension.</summary>
    public const string PermissionsExtension = "x-permissions";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The `token` that `POST /api/auth/login` returns (`{\"username\": \"dr.rao\", \"password\": \"DemoClinic#2025\"}` " +
                              "with the demo data). In Scalar: call the login, copy the token, paste it under Authentication → Bearer.",
            };
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAllowAnonymous>().Any())
            {
                return Task.CompletedTask;
            }

            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });

            var permissions = metadata.OfType<IAuthorizeData>()
                .Select(a => a.Policy)
                .OfType<string>()
                .Where(Permissions.All.Contains)
                .Distinct()
                .ToList();
            operation.Description = Join(operation.Description, Requirement(permissions));
            if (permissions.Count > 0)
            {
                operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                operation.Extensions[PermissionsExtension] = new JsonNodeExtension(new JsonArray([.. permissions.Select(p => JsonValue.Create(p))]));
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>Scalar opens with the bearer scheme selected, and keeps the pasted token across reloads.</summary>
    public static void ConfigureScalar(ScalarOptions options) =>
        options.WithTitle("DrAssistant API")
            .AddPreferredSecuritySchemes(SchemeName)
            .EnablePersistentAuthentication()
            .DisableTelemetry();

    private static string Requirement(IReadOnlyList<string> permissions)
    {
        if (permissions.Count == 0)
        {
            return "**Sign-in:** any signed-in user (bearer token from `POST /api/auth/login`).";
        }

        var each = permissions.Select(p =>
        {
            var roles = Permissions.ByRole.Where(r => r.Value.Contains(p)).Select(r => r.Key);
            return $"`{p}` (roles: {string.Join(", ", roles)})";
        });
        return $"**Permission:** {string.Join(" and ", each)}. Without a token: 401; without the permission: 403.";
    }

    private static string Join(string? description, string addition) =>
        string.IsNullOrWhiteSpace(description) ? addition : $"{description}\n\n{addition}";
}
