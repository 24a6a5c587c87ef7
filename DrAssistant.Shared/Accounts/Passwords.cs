using Microsoft.AspNetCore.Identity;

namespace DrAssistant.Shared.Accounts;

/// <summary>
/// ASP.NET Core's PasswordHasher: PBKDF2 with a per-password random salt, versioned format. The one hash the API's login
/// checks, whoever wrote it (the API, the migration service's <c>create-admin</c>, the seeder).
/// </summary>
public static class Passwords
{
    private static readonly PasswordHasher<object> Hasher = new();
    private static readonly object Nobody = new();

    public static string Hash(string password) => Hasher.HashPassword(Nobody, password);

    public static bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(Nobody, hash, password) != PasswordVerificationResult.Failed;
}
