using DrAssistant.Seeder.Clinic;

namespace DrAssistant.Seeder.Demo;

internal sealed record StaffMember(string Username, string FullName, string Role, string? Specialty);

/// <summary>
/// The demo clinic's people. Usernames and the password are fixed and documented (README, "Demo data"), so a
/// developer can log in right after F5; the password is stored only as ASP.NET Core's PasswordHasher hash, exactly as
/// the API's <c>Passwords.Hash</c> writes it.
/// </summary>
internal static class DemoStaff
{
    /// <summary>The one password of every demo login. Demo data only: never seed a real clinic's database.</summary>
    public const string Password = "DemoClinic#2025";

    public const string EmailDomain = "clinic.example";

    public static readonly StaffMember[] Members =
    [
        new("dr.rao", "Dr. Ananya Rao", "doctor", Catalogue.GeneralMedicine),
        new("dr.mehta", "Dr. Vikram Mehta", "doctor", Catalogue.Cardiology),
        new("dr.iyer", "Dr. Lakshmi Iyer", "doctor", Catalogue.Pediatrics),
        new("dr.khan", "Dr. Imran Khan", "doctor", Catalogue.Orthopedics),
        new("dr.fernandes", "Dr. Sarah Fernandes", "doctor", Catalogue.Dermatology),
        new("dr.banerjee", "Dr. Arjun Banerjee", "doctor", Catalogue.Endocrinology),
        new("nurse.meena", "Meena Pillai", "nurse", null),
        new("nurse.joseph", "Anita Joseph", "nurse", null),
        new("reception.ali", "Ali Hussain", "receptionist", null),
        new("reception.priya", "Priya Sharma", "receptionist", null),
        new("admin", "Clinic Administrator", "admin", null),
    ];

    public static IEnumerable<string> Usernames => Members.Select(m => m.Username);
}
