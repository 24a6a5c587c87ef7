namespace DrAssistant.AppHost;

internal static class ApiExtensions
{
    /// <summary>
    /// Our services listen on plain http under the AppHost (their launch profiles have no https endpoint), so they need no
    /// developer certificate; saying so keeps Aspire from warning, on every dashboard page, that there is none.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithoutDeveloperCertificate(this IResourceBuilder<ProjectResource> project)
    {
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
