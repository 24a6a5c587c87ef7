using System.Security.Claims;

namespace DrAssistant.Api.Auth;

/// <summary>The signed-in user as the session handler described them.</summary>
public static class CurrentUser
{
    public const string PermissionClaim = "permission";
    public const string SessionClaim = "sid";

    public static Guid Id(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : Guid.Empty;

    /// <summary>The id of the session this request came with.</summary>
    public static string? SessionId(this ClaimsPrincipal user) => user.FindFirstValue(SessionClaim);

    public static string Role(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Role) ?? string.Empty;

    public static bool Can(this ClaimsPrincipal user, string permission) => user.HasClaim(PermissionClaim, permission);

    public static bool IsAdmin(this ClaimsPrincipal user) => user.Can(Permissions.AdminUsers);

    /// <summary>The user themselves, or an administrator acting for them.</summary>
    public static bool IsSelfOrAdmin(this ClaimsPrincipal user, Guid userId) => user.Id() == userId || user.IsAdmin();
}
