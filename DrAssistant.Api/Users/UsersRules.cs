using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Users;

/// <summary>Staff roles and statuses, and what a valid profile and password change are (no I/O).</summary>
public static class UsersRules
{
    public const string Doctor = "doctor";
    public const string Nurse = "nurse";
    public const string Admin = "admin";
    public const string Receptionist = "receptionist";

    /// <summary>Every role, as the database's CHECK constraint allows them.</summary>
    public static readonly string[] Roles = [Doctor, Nurse, Admin, Receptionist];

    public const string Active = "active";
    public const string Inactive = "inactive";
    public const string Suspended = "suspended";

    /// <summary>Every status, as the database's CHECK constraint allows them.</summary>
    public static readonly string[] Statuses = [Active, Inactive, Suspended];

    public static Validation ValidateList(string? role, string? status) => new Validation()
        .OneOf("role", role, Roles, required: false)
        .OneOf("status", status, Statuses, required: false);

    public static Validation Validate(CreateUserRequest r)
    {
        var validation = ValidateProfile(r.Username, r.Email, r.FullName, r.Role, r.Specialty, r.Phone, r.ProfileImageUrl);
        if (PasswordRules.Problem("password", r.Password, r.Username, r.Email) is { } weak)
        {
            validation.Add("password", weak);
        }

        return validation;
    }

    public static Validation Validate(UpdateUserRequest r) =>
        ValidateProfile(r.Username, r.Email, r.FullName, r.Role, r.Specialty, r.Phone, r.ProfileImageUrl)
            .OneOf("status", r.Status, Statuses);

    /// <summary>A change that may leave the clinic with one active administrator fewer.</summary>
    public static bool MayRemoveAnAdministrator(UpdateUserRequest r) => r.Role != Admin || r.Status != Active;

    /// <summary>A new password for <paramref name="account"/>; your own (<paramref name="own"/>) also needs the current one.</summary>
    public static Validation ValidatePassword(SetPasswordRequest request, Credentials account, bool own)
    {
        var validation = new Validation();
        if (own && string.IsNullOrEmpty(request.CurrentPassword))
        {
            validation.Add("currentPassword", "currentPassword is required to change your own password.");
        }

        if (PasswordRules.Problem("password", request.Password, account.Username, account.Email) is { } weak)
        {
            validation.Add("password", weak);
        }

        if (own && request.Password is not null && request.Password == request.CurrentPassword)
        {
            validation.Add("password", "password must differ from currentPassword.");
        }

        return validation;
    }

    private static Validation ValidateProfile(
        string? username, string? email, string? fullName, string? role, string? specialty, string? phone, string? profileImageUrl) =>
        new Validation()
            .Required("username", username, 50)
            .Email("email", email, 100, required: true)
            .Required("fullName", fullName, 100)
            .OneOf("role", role, Roles)
            .MaxLength("specialty", specialty, 50)
            .MaxLength("phone", phone, 20)
            .MaxLength("profileImageUrl", profileImageUrl, 255)
            .When(profileImageUrl is not null && !Uri.TryCreate(profileImageUrl, UriKind.Absolute, out _), "profileImageUrl", "profileImageUrl must be an absolute URL.")
            .When(username is not null && username.Any(char.IsWhiteSpace), "username", "username must not contain spaces.");
}
