using System.Text.Json;
using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Patients;

/// <summary>A patient's statuses and what a valid record is (no I/O).</summary>
public static class PatientsRules
{
    public const string Active = "active";
    public const string Inactive = "inactive";
    public const string Deceased = "deceased";

    /// <summary>Every status, as the database's CHECK constraint allows them.</summary>
    public static readonly string[] Statuses = [Active, Inactive, Deceased];

    public static readonly string[] BloodGroups = ["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"];

    public static Validation ValidateSearch(string? query, string? status) => new Validation()
        .MaxLength("query", query, 100)
        .OneOf("status", status, Statuses, required: false);

    /// <summary>A record to create (<paramref name="requireStatus"/> false: it defaults to active) or to replace.</summary>
    public static Validation Validate(PatientRequest r, DateOnly today, bool requireStatus) => new Validation()
        .Required("firstName", r.FirstName, 50)
        .Required("lastName", r.LastName, 50)
        .Required("dateOfBirth", r.DateOfBirth)
        .When(r.DateOfBirth > today.AddDays(1), "dateOfBirth", "dateOfBirth cannot be in the future.")
        .When(r.DateOfBirth < new DateOnly(1880, 1, 1), "dateOfBirth", "dateOfBirth is too far in the past.")
        .OneOf("gender", r.Gender, Vocabulary.Genders)
        .MaxLength("mrn", r.Mrn, 50)
        .MaxLength("abhaId", r.AbhaId, 50)
        .MaxLength("phone", r.Phone, 20)
        .Email("email", r.Email, 100, required: false)
        .OneOf("bloodGroup", r.BloodGroup, BloodGroups, required: false)
        .When(r.Allergies?.Any(a => string.IsNullOrWhiteSpace(a) || a.Length > 100) == true, "allergies", "Each allergy is 1 to 100 characters.")
        .When(r.Allergies?.Length > 100, "allergies", "At most 100 allergies.")
        .When(r.Address is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) }, "address", "address must be a JSON object.")
        .When(r.EmergencyContact is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) }, "emergencyContact", "emergencyContact must be a JSON object.")
        .OneOf("status", r.Status, Statuses, required: requireStatus);
}
