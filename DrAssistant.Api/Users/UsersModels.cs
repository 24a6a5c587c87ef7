using System.Text.Json;

namespace DrAssistant.Api.Users;

/// <summary>What anyone may see of a user: everything but the password hash.</summary>
public sealed record UserProfile(
    Guid Id,
    string Username,
    string Email,
    string FullName,
    string Role,
    string? Specialty,
    string? Phone,
    string? ProfileImageUrl,
    DateTime CreatedAt,
    DateTime? LastLoginAt,
    string Status,
    JsonElement? Preferences);

public sealed record CreateUserRequest(
    string? Username,
    string? Email,
    string? FullName,
    string? Role,
    string? Password,
    string? Specialty = null,
    string? Phone = null,
    string? ProfileImageUrl = null,
    JsonElement? Preferences = null);

public sealed record UpdateUserRequest(
    string? Username,
    string? Email,
    string? FullName,
    string? Role,
    string? Status,
    string? Specialty = null,
    string? Phone = null,
    string? ProfileImageUrl = null);

/// <summary>A new password; changing your own also needs the current one.</summary>
public sealed record SetPasswordRequest(string? Password, string? CurrentPassword = null);

/// <summary>What a password change checks against: never sent to a client.</summary>
public sealed record Credentials(string Username, string Email, string PasswordHash);

/// <summary>How a change of a user's profile ended.</summary>
public enum UserUpdateResult
{
    Done,
    NotFound,
    /// <summary>It would leave the clinic without an active administrator (the field is the role or the status).</summary>
    LastAdministrator,
}

public sealed record UserUpdateOutcome(UserUpdateResult Result, UserProfile? User = null, string? Field = null);
