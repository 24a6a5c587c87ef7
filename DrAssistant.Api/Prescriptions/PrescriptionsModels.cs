namespace DrAssistant.Api.Prescriptions;

public sealed record PrescriptionItem(
    Guid Id,
    string MedicationName,
    string Dosage,
    string Frequency,
    string? Duration,
    string? Quantity,
    int? Refills,
    string? Instructions,
    DateTimeOffset CreatedAt);

/// <summary>A prescription with its items and the prescriber's name (a prescription may have no items yet).</summary>
public sealed record Prescription(
    Guid Id,
    Guid EncounterId,
    Guid PatientId,
    Guid DoctorId,
    string PrescriberName,
    string Status,
    DateOnly ValidFrom,
    DateOnly? ValidUntil,
    Guid? PharmacyId,
    string? Notes,
    DateTime? SignedAt,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    PrescriptionItem[] Items);

public sealed record PrescriptionItemRequest(
    string? MedicationName,
    string? Dosage,
    string? Frequency,
    string? Duration = null,
    string? Quantity = null,
    int? Refills = null,
    string? Instructions = null);

public sealed record CreatePrescriptionRequest(
    Guid? EncounterId,
    DateOnly? ValidFrom = null,
    DateOnly? ValidUntil = null,
    Guid? PharmacyId = null,
    string? Notes = null,
    PrescriptionItemRequest[]? Items = null);

public sealed record UpdatePrescriptionRequest(DateOnly? ValidFrom, DateOnly? ValidUntil = null, Guid? PharmacyId = null, string? Notes = null);

public sealed record SendPrescriptionRequest(Guid? PharmacyId);
