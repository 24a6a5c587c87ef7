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
