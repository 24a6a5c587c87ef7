using Dapper;
using DrAssistant.Api.Infrastructure;
using Npgsql;
using static DrAssistant.Api.Prescriptions.PrescriptionsRules;

namespace DrAssistant.Api.Prescriptions;

/// <summary>
/// The SQL of prescriptions. Every change by the prescriber runs in one transaction holding the prescription's row lock
/// (<see cref="DraftItems{TRow}"/>), so concurrent changes take turns and each sees the checks it relies on hold.
/// </summary>
public static class PrescriptionsQueries
{
    /// <summary>The prescription view: the prescriber's name and the items as one JSON column, oldest item first.</summary>
    public const string Select = """
        SELECT p.id, p.encounter_id, p.patient_id, p.doctor_id, u.full_name AS prescriber_name, p.status, p.valid_from,
               p.valid_until, p.pharmacy_id, p.notes, p.signed_at, p.created_at, p.updated_at,
               coalesce((SELECT json_agg(json_build_object(
                            'id', i.id, 'medicationName', i.medication_name, 'dosage', i.dosage, 'frequency', i.frequency,
                            'duration', i.duration, 'quantity', i.quantity, 'refills', i.refills,
                            'instructions', i.instructions, 'createdAt', i.created_at) ORDER BY i.created_at, i.id)
                         FROM prescription_items i WHERE i.prescription_id = p.id), '[]')::text AS items
        FROM prescriptions p
        JOIN users u ON u.id = p.doctor_id
        """;

    private const string Table = "prescriptions";

    private static readonly Step Sign = new(Signed, Steps.From(Signed), ", signed_at = now()");
    private static readonly Step Send = new(Sent, Steps.From(Sent), ", pharmacy_id = @pharmacyId");
    private static readonly Step Dispense = new(Dispensed, Steps.From(Dispensed));
    private static readonly Step Cancel = new(Cancelled, Steps.From(Cancelled));

    private static readonly DraftItems<Prescription> Drafts = new(Table, "prescription_items", "prescription_id", MaxItems, TooManyItems, FindAsync);

    public static async Task<Prescription?> FindAsync(
        NpgsqlConnection connection, Guid id, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Prescription>(new CommandDefinition(
            $"{Select} WHERE p.id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    public static async Task<Prescription?> GetAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await FindAsync(connection, id, null, cancellationToken);
    }

    /// <summary>A draft in an open or completed encounter: the patient is the encounter's, the prescriber is <paramref name="prescriber"/>.</summary>
    public static Task<Changed<Prescription>> CreateAsync(
        NpgsqlDataSource db, CreatePrescriptionRequest request, Guid prescriber, CancellationToken cancellationToken) =>
        Drafts.CreateAsync(db, request.EncounterId!.Value, async (connection, transaction, patientId) =>
        {
            var id = await connection.ExecuteScalarAsync<Guid>(new CommandDefinition("""
                INSERT INTO prescriptions (encounter_id, patient_id, doctor_id, valid_from, valid_until, pharmacy_id, notes)
                VALUES (@EncounterId, @patientId, @prescriber, coalesce(@ValidFrom, CURRENT_DATE), @ValidUntil, @PharmacyId, @Notes)
                RETURNING id
                """, new { request.EncounterId, patientId, prescriber, request.ValidFrom, request.ValidUntil, request.PharmacyId, request.Notes },
                transaction, cancellationToken: cancellationToken));

            // Without validFrom the draft is valid from today, the database's today: only it can say whether validUntil is before.
            var endsBeforeToday = request.ValidFrom is null && request.ValidUntil is not null
                && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT valid_until < valid_from FROM prescriptions WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            return (id, endsBeforeToday ? Refusal.Invalid("validUntil", "validUntil must not be before validFrom (today).") : null);
        }, request.Items ?? [], InsertItemAsync(cancellationToken), cancellationToken);

    public static Task<Changed<Prescription>> UpdateAsync(
        NpgsqlDataSource db, Guid id, UpdatePrescriptionRequest request, Guid caller, CancellationToken cancellationToken) =>
        Drafts.ChangeAsync(db, id, caller, Editable, async (connection, transaction, _) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE prescriptions SET valid_from = @ValidFrom, valid_until = @ValidUntil, pharmacy_id = @PharmacyId, notes = @Notes
                WHERE id = @id
                """, new { id, request.ValidFrom, request.ValidUntil, request.PharmacyId, request.Notes }, transaction, cancellationToken: cancellationToken));
            return null;
        }, cancellationToken);

    public static Task<Changed<Prescription>> AddItemAsync(
        NpgsqlDataSource db, Guid id, PrescriptionItemRequest item, Guid caller, CancellationToken cancellationToken) =>
        Drafts.AddItemAsync(db, id, caller, Editable,
            (connection, transaction) => InsertItemAsync(cancellationToken)(connection, transaction, id, item), cancellationToken);

    public static Task<Changed<Prescription>> UpdateItemAsync(
        NpgsqlDataSource db, Guid id, Guid itemId, PrescriptionItemRequest item, Guid caller, CancellationToken cancellationToken) =>
        Drafts.UpdateItemAsync(db, id, caller, Editable, (connection, transaction) => connection.ExecuteAsync(new CommandDefinition("""
            UPDATE prescription_items
            SET medication_name = @MedicationName, dosage = @Dosage, frequency = @Frequency, duration = @Duration,
                quantity = @Quantity, refills = coalesce(@Refills, 0), instructions = @Instructions
            WHERE id = @itemId AND prescription_id = @id
            """, new { id, itemId, item.MedicationName, item.Dosage, item.Frequency, item.Duration, item.Quantity, item.Refills, item.Instructions },
            transaction, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>A draft may be emptied: only signing needs an item.</summary>
    public static Task<Changed<Prescription>> RemoveItemAsync(
        NpgsqlDataSource db, Guid id, Guid itemId, Guid caller, CancellationToken cancellationToken) =>
        Drafts.RemoveItemAsync(db, id, itemId, caller, Editable, _ => null, cancellationToken);

    /// <summary>
    /// Signs a draft. The prescription is locked for the whole check, so its items cannot be removed (or added) between
    /// counting them and signing: a signed prescription always has at least one item, and none change after.
    /// </summary>
    public static Task<Changed<Prescription>> SignAsync(NpgsqlDataSource db, Guid id, Guid caller, CancellationToken cancellationToken) =>
        Drafts.StepAsync(db, id, caller, Sign, cancellationToken, withoutItems: SignedWithoutItems);

    public static Task<Changed<Prescription>> SendAsync(NpgsqlDataSource db, Guid id, Guid pharmacyId, Guid caller, CancellationToken cancellationToken) =>
        Drafts.StepAsync(db, id, caller, Send, cancellationToken, extra: new { pharmacyId });

    public static Task<Changed<Prescription>> CancelAsync(NpgsqlDataSource db, Guid id, Guid caller, CancellationToken cancellationToken) =>
        Drafts.StepAsync(db, id, caller, Cancel, cancellationToken);

    /// <summary>The pharmacy's news, recorded by whoever hears it (not the prescriber's alone): one conditional UPDATE.</summary>
    public static Task<Changed<Prescription>> DispenseAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        Transitions.MoveAsync(db, Table, id, Dispense, connection => FindAsync(connection, id, null, cancellationToken), cancellationToken);

    private static Func<NpgsqlConnection, NpgsqlTransaction, Guid, PrescriptionItemRequest, Task> InsertItemAsync(CancellationToken cancellationToken) =>
        (connection, transaction, id, item) => connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO prescription_items (prescription_id, medication_name, dosage, frequency, duration, quantity, refills, instructions)
            VALUES (@id, @MedicationName, @Dosage, @Frequency, @Duration, @Quantity, coalesce(@Refills, 0), @Instructions)
            """, new { id, item.MedicationName, item.Dosage, item.Frequency, item.Duration, item.Quantity, item.Refills, item.Instructions },
            transaction, cancellationToken: cancellationToken));
}
