using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Prescriptions;

/// <summary>The rules of prescriptions that need no server: their statuses, their lifecycle and request validation.</summary>
public static class PrescriptionsRules
{
    public const string Draft = "draft";
    public const string Signed = "signed";
    public const string Sent = "sent";
    public const string Dispensed = "dispensed";
    public const string Cancelled = "cancelled";

    /// <summary>
    /// A draft is signed, sent to a pharmacy and dispensed; it may be cancelled until it is dispensed. Only a draft is
    /// edited (<see cref="Editable"/>): what the prescriber signed never changes.
    /// </summary>
    public static readonly Lifecycle Steps = new(
        (Draft, Signed), (Signed, Sent), (Sent, Dispensed),
        (Draft, Cancelled), (Signed, Cancelled), (Sent, Cancelled));

    public static readonly string[] Editable = [Draft];

    /// <summary>The word of the 409 for an edit of a prescription that is no longer a draft.</summary>
    public const string Edited = "edited";

    public const int MaxItems = 50;
    public const int MaxNotes = 10_000;

    public static readonly string TooManyItems = $"A prescription has at most {MaxItems} items.";
    public const string SignedWithoutItems = "A prescription without items cannot be signed.";

    public static Validation ValidateCreate(CreatePrescriptionRequest request) =>
        DraftItems.ValidateItems(
            Dates(new Validation().Required("encounterId", request.EncounterId), request.ValidFrom, request.ValidUntil)
                .MaxLength("notes", request.Notes, MaxNotes),
            request.Items, MaxItems, ValidateItem);

    public static Validation ValidateUpdate(UpdatePrescriptionRequest request) =>
        Dates(new Validation().Required("validFrom", request.ValidFrom), request.ValidFrom, request.ValidUntil)
            .MaxLength("notes", request.Notes, MaxNotes);

    public static Validation ValidateItem(PrescriptionItemRequest? item)
    {
        var validation = new Validation();
        ValidateItem(validation, item, string.Empty);
        return validation;
    }

    public static Validation ValidateSend(SendPrescriptionRequest request) =>
        new Validation().When(request.PharmacyId is null || request.PharmacyId == Guid.Empty, "pharmacyId", "pharmacyId is required.");

    private static Validation Dates(Validation validation, DateOnly? validFrom, DateOnly? validUntil) => validation
        .When(validUntil < validFrom, "validUntil", "validUntil must not be before validFrom.")
        .When(validFrom is { } from && !Instants.InRange(from), "validFrom", Instants.OutOfRange("validFrom"))
        .When(validUntil is { } until && !Instants.InRange(until), "validUntil", Instants.OutOfRange("validUntil"));

    private static void ValidateItem(Validation validation, PrescriptionItemRequest? item, string prefix)
    {
        if (item is null)
        {
            validation.Add(prefix.TrimEnd('.'), "An item is required.");
            return;
        }

        validation
            .Required($"{prefix}medicationName", item.MedicationName, 100)
            .Required($"{prefix}dosage", item.Dosage, 50)
            .Required($"{prefix}frequency", item.Frequency, 50)
            .MaxLength($"{prefix}duration", item.Duration, 50)
            .MaxLength($"{prefix}quantity", item.Quantity, 50)
            .Range($"{prefix}refills", item.Refills, 0, 99)
            .MaxLength($"{prefix}instructions", item.Instructions, MaxNotes);
    }
}
