using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Alerts;

/// <summary>What a valid alert is, and where it may send its reader (no I/O).</summary>
public static class AlertsRules
{
    public static Validation Validate(AlertRequest request) => new Validation()
        .Required("userId", request.UserId)
        .OneOf("alertType", request.AlertType, Vocabulary.AlertTypes)
        .OneOf("severity", request.Severity, Vocabulary.AlertSeverities)
        .Required("title", request.Title, 100)
        .Required("message", request.Message, 10_000)
        .MaxLength("source", request.Source, 50)
        .MaxLength("actionUrl", request.ActionUrl, 255)
        .When(request.ActionUrl is not null && !IsSafeLink(request.ActionUrl), "actionUrl",
            "actionUrl must be a path on this site (such as /patients/…) or an http(s) URL.");

    /// <summary>
    /// A link a client may follow: a relative reference (a path such as <c>/patients/…</c> or <c>labs/42</c>, no scheme)
    /// or an http(s) URL. Never <c>javascript:</c>, <c>data:</c> and the like, nor a protocol-relative <c>//host</c> or
    /// anything with a backslash (browsers read <c>/\host</c> as another site), nor whitespace or control characters
    /// (browsers strip some of them before reading the scheme), nor credentials in the URL.
    /// </summary>
    public static bool IsSafeLink(string url)
    {
        if (url.Length == 0 || url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || url.Contains('\\', StringComparison.Ordinal)
            || url.StartsWith("//", StringComparison.Ordinal))
        {
            return false;
        }

        // Without a ':' before the first '/', '?' or '#' there is no scheme: a reference within this site.
        var end = url.IndexOfAny(['/', '?', '#']);
        if (!(end < 0 ? url : url[..end]).Contains(':', StringComparison.Ordinal))
        {
            return true;
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && url.StartsWith(uri.Scheme + "://", StringComparison.OrdinalIgnoreCase)
            && !string.IsNullOrEmpty(uri.Host)
            && string.IsNullOrEmpty(uri.UserInfo);
    }
}
