namespace DrAssistant.Shared.Accounts;

/// <summary>
/// What a new password must be: 8 to 128 characters, not one of the passwords every attacker tries first (a short
/// list of the most common, compared without case), and not the account's own username or email. The API (user creation,
/// password change and reset) and the migration service's <c>create-admin</c> apply these same rules.
/// </summary>
public static class PasswordRules
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    /// <summary>
    /// The most common passwords long enough to pass the length rule (from the public breach lists), and the demo
    /// clinic's published one.
    /// </summary>
    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "12345678", "123456789", "1234567890", "12345678910", "87654321", "11111111", "00000000", "88888888", "11223344",
        "12341234", "123123123", "147258369", "987654321", "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "zaq12wsx", "qwertyui",
        "qwerty123", "qwerty12", "qwertyuiop", "asdfghjk", "asdfghjkl", "asdf1234", "zxcvbnm1", "abcd1234", "abc12345",
        "abcdefgh", "password", "password1", "password12", "password123", "password!", "passw0rd", "p@ssw0rd", "p@ssword",
        "pa$$word", "iloveyou", "iloveyou1", "sunshine", "princess", "football", "baseball", "superman", "batman123",
        "trustno1", "letmein1", "letmein123", "welcome1", "welcome123", "welcome!", "admin123", "admin1234", "administrator",
        "changeme", "changeme1", "default1", "master123", "monkey123", "dragon123", "shadow123", "michael1", "jennifer",
        "computer", "whatever", "starwars", "internet", "mustang1", "corvette", "access14", "secret123", "freedom1",
        "hello123", "login123", "test1234", "testtest", "qazwsxedc", "1qazxsw2", "aa123456", "a1234567", "q1w2e3r4",
        "q1w2e3r4t5", "google123", "samsung1", "india123", "doctor123", "hospital", "hospital1", "clinic123", "nurse123",
        "medical1", "health123", "summer2024", "summer2025", "winter2024", "winter2025", "spring2025", "autumn2025",
        "democlinic#2025",
    };

    /// <summary>What is wrong with <paramref name="password"/>, in a sentence naming <paramref name="field"/>; null when nothing is.</summary>
    public static string? Problem(string field, string? password, string? username, string? email)
    {
        if (string.IsNullOrEmpty(password))
        {
            return $"{field} is required.";
        }

        if (password.Length is < MinLength or > MaxLength)
        {
            return $"{field} must be {MinLength} to {MaxLength} characters.";
        }

        if (Common.Contains(password.Trim()))
        {
            return $"{field} is one of the most common passwords; choose another.";
        }

        var candidate = password.Trim();
        if (Same(candidate, username) || Same(candidate, email) || Same(candidate, email?.Split('@')[0]))
        {
            return $"{field} must not be the username or email.";
        }

        return null;
    }

    private static bool Same(string password, string? other) =>
        !string.IsNullOrWhiteSpace(other) && string.Equals(password, other.Trim(), StringComparison.OrdinalIgnoreCase);
}
