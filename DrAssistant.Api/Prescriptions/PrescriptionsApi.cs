using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Prescriptions;

/// <summary>
/// Medication orders. Written as a draft inside an encounter (the patient comes from it; the prescriber is the doctor
/// who writes it), edited while draft, then signed, sent to a pharmacy and dispensed, or cancelled. Only the prescriber
/// changes, signs, sends or cancels a prescription (403 for anyone else); every such change runs in one transaction
/// holding the prescription's row lock, so concurrent changes take turns and each sees the checks it relies on hold.
/// </summary>
public static class PrescriptionsApi
{
    public const int MaxItems = 50;

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

    private static readonly string[] Draft = ["draft"];
    private static readonly Step Sign = new("signed", ["draft"], ", signed_at = now()");
    private static readonly Step Send = new("sent", ["signed"], ", pharmacy_id = @pharmacyId");
    private static readonly Step Dispense = new("dispensed", ["sent"]);
    private static readonly Step Cancel = new("cancelled", ["draft", "signed", "sent"]);

    public static IEndpointRouteBuilder MapPrescriptionsApi(this IEndpointRouteBuilder app)
    {
        var prescriptions = app.MapGroup("/api/prescriptions").WithTags("Prescriptions");
        prescriptions.MapGet("/{id:guid}", GetPrescription).RequireAuthorization(Permissions.ReadEncounters).WithSummary("A prescription with its items");
        prescriptions.MapPost("/", CreatePrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Write a draft prescription in an encounter, with or without items; you are its prescriber");
        prescriptions.MapPut("/{id:guid}", UpdatePrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Change a draft's validity, pharmacy and notes (its prescriber only)");
        prescriptions.MapPost("/{id:guid}/items", AddItem).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Add a medication to a draft (its prescriber only)");
        prescriptions.MapPut("/{id:guid}/items/{itemId:guid}", UpdateItem).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Change a medication of a draft (its prescriber only)");
        prescriptions.MapDelete("/{id:guid}/items/{itemId:guid}", RemoveItem).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Remove a medication from a draft (its prescriber only)");
        prescriptions.MapPost("/{id:guid}/sign", SignPrescription).RequireAuthorization(Permissions.SignPrescriptions).WithSummary("Sign a draft (its prescriber only; it needs at least one item)");
        prescriptions.MapPost("/{id:guid}/send", SendPrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Send a signed prescription to a pharmacy (its prescriber only)");
        prescriptions.MapPost("/{id:guid}/dispense", DispensePrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Record that the pharmacy dispensed it");
        prescriptions.MapPost("/{id:guid}/cancel", CancelPrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Cancel a prescription not yet dispensed (its prescriber only)");
        return app;
    }

    public static async Task<Results<Ok<Prescription>, NotFound>> GetPrescription(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var prescription = await FindAsync(connection, id, cancellationToken);
        return prescription is null ? TypedResults.NotFound() : TypedResults.Ok(prescription);
    }

    public static async Task<Results<Created<Prescription>, ValidationProblem>> CreatePrescription(
        CreatePrescriptionRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("encounterId", request.EncounterId)
            .When(request.ValidUntil is not null && request.ValidFrom is not null && request.ValidUntil < request.ValidFrom,
                "validUntil", "validUntil must not be before validFrom.")
            .When(request.ValidFrom is { } from && !Instants.InRange(from), "validFrom", Instants.OutOfRange("validFrom"))
            .When(request.ValidUntil is { } until && !Instants.InRange(until), "validUntil", Instants.OutOfRange("validUntil"))
            .MaxLength("notes", request.Notes, 10_000)
            .When(request.Items?.Length > MaxItems, "items", $"At most {MaxItems} items.");
        for (var i = 0; i < Math.Min(request.Items?.Length ?? 0, MaxItems); i++)
        {
            ValidateItem(validation, request.Items![i], $"items[{i}].");
        }

        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The patient is the encounter's; the prescriber is whoever writes the draft (and only they may change it). The
        // encounter is held (FOR SHARE) until the draft is written, so it cannot be cancelled in between.
        var encounter = await connection.QuerySingleOrDefaultAsync<(Guid PatientId, string Status)?>(new CommandDefinition(
            "SELECT patient_id, status FROM encounters WHERE id = @EncounterId FOR SHARE", request, transaction, cancellationToken: cancellationToken));
        if (encounter is not { Status: not "cancelled" })
        {
            return Problems.Invalid("encounterId", "No open or completed encounter with this id.");
        }

        var id = await connection.ExecuteScalarAsync<Guid>(new CommandDefinition("""
            INSERT INTO prescriptions (encounter_id, patient_id, doctor_id, valid_from, valid_until, pharmacy_id, notes)
            VALUES (@EncounterId, @PatientId, @Prescriber, coalesce(@ValidFrom, CURRENT_DATE), @ValidUntil, @PharmacyId, @Notes)
            RETURNING id
            """, new
        {
            request.EncounterId, encounter.Value.PatientId, Prescriber = user.Id(), request.ValidFrom, request.ValidUntil, request.PharmacyId, request.Notes,
        }, transaction, cancellationToken: cancellationToken));

        if (request.ValidFrom is null && request.ValidUntil is not null
            && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT valid_until < valid_from FROM prescriptions WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)))
        {
            return Problems.Invalid("validUntil", "validUntil must not be before validFrom (today).");
        }

        foreach (var item in request.Items ?? [])
        {
            await InsertItemAsync(connection, transaction, id, item, cancellationToken);
        }

        var prescription = (await FindAsync(connection, id, cancellationToken, transaction))!;
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/prescriptions/{prescription.Id}", prescription);
    }

    public static async Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> UpdatePrescription(
        Guid id, UpdatePrescriptionRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("validFrom", request.ValidFrom)
            .When(request.ValidUntil < request.ValidFrom, "validUntil", "validUntil must not be before validFrom.")
            .When(request.ValidFrom is { } from && !Instants.InRange(from), "validFrom", Instants.OutOfRange("validFrom"))
            .When(request.ValidUntil is { } until && !Instants.InRange(until), "validUntil", Instants.OutOfRange("validUntil"))
            .MaxLength("notes", request.Notes, 10_000);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return (await ChangeAsync(db, id, user, Draft, "edited", cancellationToken, async (connection, transaction, _) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE prescriptions SET valid_from = @ValidFrom, valid_until = @ValidUntil, pharmacy_id = @PharmacyId, notes = @Notes
                WHERE id = @id
                """, new { id, request.ValidFrom, request.ValidUntil, request.PharmacyId, request.Notes }, transaction, cancellationToken: cancellationToken));
            return null;
        }, prescription => TypedResults.Ok(prescription))).OrInvalid();
    }

    public static async Task<Results<Created<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> AddItem(
        Guid id, PrescriptionItemRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateItem(validation, request, string.Empty);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return (await ChangeAsync(db, id, user, Draft, "edited", cancellationToken, async (connection, transaction, _) =>
        {
            var count = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT count(*) FROM prescription_items WHERE prescription_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            if (count >= MaxItems)
            {
                return Problems.Conflict($"A prescription has at most {MaxItems} items.", "items");
            }

            await InsertItemAsync(connection, transaction, id, request, cancellationToken);
            return null;
        }, prescription => TypedResults.Created($"/api/prescriptions/{id}", prescription))).OrInvalid();
    }

    public static async Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> UpdateItem(
        Guid id, Guid itemId, PrescriptionItemRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateItem(validation, request, string.Empty);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return (await ChangeAsync(db, id, user, Draft, "edited", cancellationToken, async (connection, transaction, _) =>
        {
            var updated = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE prescription_items
                SET medication_name = @MedicationName, dosage = @Dosage, frequency = @Frequency, duration = @Duration,
                    quantity = @Quantity, refills = coalesce(@Refills, 0), instructions = @Instructions
                WHERE id = @itemId AND prescription_id = @id
                """, new { id, itemId, request.MedicationName, request.Dosage, request.Frequency, request.Duration, request.Quantity, request.Refills, request.Instructions },
                transaction, cancellationToken: cancellationToken));
            return updated == 0 ? TypedResults.NotFound() : null;
        }, prescription => TypedResults.Ok(prescription))).OrInvalid();
    }

    public static Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> RemoveItem(
        Guid id, Guid itemId, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ChangeAsync(db, id, user, Draft, "edited", cancellationToken, async (connection, transaction, _) =>
        {
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM prescription_items WHERE id = @itemId AND prescription_id = @id", new { id, itemId }, transaction, cancellationToken: cancellationToken));
            return deleted == 0 ? TypedResults.NotFound() : null;
        }, prescription => TypedResults.Ok(prescription));

    /// <summary>
    /// Signs a draft. The prescription is locked for the whole check, so its items cannot be removed (or added) between
    /// counting them and signing: a signed prescription always has at least one item, and none change after.
    /// </summary>
    public static Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> SignPrescription(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ChangeAsync(db, id, user, Sign.From, "signed", cancellationToken, async (connection, transaction, _) =>
        {
            if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM prescription_items WHERE prescription_id = @id)", new { id }, transaction, cancellationToken: cancellationToken)))
            {
                return Problems.Conflict("A prescription without items cannot be signed.", "items");
            }

            await Transitions.SetStatusAsync(connection, transaction, "prescriptions", id, Sign, cancellationToken);
            return null;
        }, prescription => TypedResults.Ok(prescription));

    public static async Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> SendPrescription(
        Guid id, SendPrescriptionRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (request.PharmacyId is null || request.PharmacyId == Guid.Empty)
        {
            return Problems.Invalid("pharmacyId", "pharmacyId is required.");
        }

        return (await StepAsync(db, id, user, Send, "sent", cancellationToken, new { pharmacyId = request.PharmacyId })).OrInvalid();
    }

    /// <summary>The pharmacy's news, recorded by whoever hears it: not the prescriber's alone.</summary>
    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>>> DispensePrescription(
        Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (moved, status) = await Transitions.MoveAsync(connection, "prescriptions", id, Dispense, cancellationToken);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        return moved ? TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!) : Problems.WrongStatus("prescription", status, "dispensed");
    }

    public static Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> CancelPrescription(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        StepAsync(db, id, user, Cancel, "cancelled", cancellationToken);

    public static async Task<Prescription?> FindAsync(
        NpgsqlConnection connection, Guid id, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null) =>
        await connection.QuerySingleOrDefaultAsync<Prescription>(new CommandDefinition(
            $"{Select} WHERE p.id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    /// <summary>One change by the prescriber, under the prescription's lock (see <see cref="Transitions.ChangeOwnedAsync"/>).</summary>
    private static Task<Results<TOk, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> ChangeAsync<TOk>(
        NpgsqlDataSource db, Guid id, ClaimsPrincipal user, string[] allowed, string verb, CancellationToken cancellationToken,
        Func<NpgsqlConnection, NpgsqlTransaction, string, Task<IResult?>> change, Func<Prescription, TOk> answer)
        where TOk : IResult =>
        Transitions.ChangeOwnedAsync(db, "prescriptions", "prescription", id, user.Id(), allowed, verb, change,
            async (connection, transaction) => (await FindAsync(connection, id, cancellationToken, transaction))!, answer, cancellationToken);

    /// <summary>A step only the prescriber takes (send, cancel), under the prescription's lock.</summary>
    private static Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> StepAsync(
        NpgsqlDataSource db, Guid id, ClaimsPrincipal user, Step step, string verb, CancellationToken cancellationToken, object? extra = null) =>
        ChangeAsync(db, id, user, step.From, verb, cancellationToken, async (connection, transaction, _) =>
        {
            await Transitions.SetStatusAsync(connection, transaction, "prescriptions", id, step, cancellationToken, extra);
            return null;
        }, prescription => TypedResults.Ok(prescription));

    private static Task InsertItemAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, PrescriptionItemRequest item, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO prescription_items (prescription_id, medication_name, dosage, frequency, duration, quantity, refills, instructions)
            VALUES (@id, @MedicationName, @Dosage, @Frequency, @Duration, @Quantity, coalesce(@Refills, 0), @Instructions)
            """, new { id, item.MedicationName, item.Dosage, item.Frequency, item.Duration, item.Quantity, item.Refills, item.Instructions },
            transaction, cancellationToken: cancellationToken));

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
            .MaxLength($"{prefix}instructions", item.Instructions, 10_000);
    }
}
