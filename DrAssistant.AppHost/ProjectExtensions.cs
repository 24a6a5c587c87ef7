namespace DrAssistant.AppHost;

internal static class ProjectExtensions
{
    /// <summary>
    /// What every service of ours gets under the AppHost. They listen on plain http (their launch profiles have no https
    /// endpoint), so they need no developer certificate, and saying so keeps Aspire from warning on every dashboard page
    /// that there is none. And telemetry export gives up after 2 s instead of 10: when the AppHost stops, the dashboard
    /// goes first, and each service would otherwise spend its shutdown retrying an export to it (measured: 14 s to stop
    /// the stack, 5 s with this).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDevelopmentDefaults(this IResourceBuilder<ProjectResource> project)
    {
        if (project.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            project.WithEnvironment("OTEL_EXPORTER_OTLP_TIMEOUT", "2000");
        }

        // Marked experimental (ASPIRECERTIFICATES001); it only declines a certificate these services would not use.
#pragma warning disable ASPIRECERTIFICATES001
        return project.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001
    }

    /// <summary>
    /// A link on the API resource to Scalar, the API reference where a developer signs in (the token from
    /// <c>POST /api/auth/login</c>) and tries every endpoint. The API serves it in Development (or with <c>Api:ExposeOpenApi</c>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithApiReferenceLink(this IResourceBuilder<ProjectResource> api) =>
        // The endpoint's own link, named for what it opens (one link, not the bare address beside a second one).
        api.WithUrlForEndpoint("http", url =>
        {
            url.Url = new UriBuilder(url.Url) { Path = "/scalar" }.Uri.ToString();
            url.DisplayText = "Scalar (API reference)";
        });
}
