using System.Security.Claims;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Prescriptions;

/// <summary>
/// Medication orders. Written as a draft inside an encounter (patient and prescriber come from it), edited while
/// draft, then signed, sent to a pharmacy and dispensed, or cancelled.
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

    private static readonly Step Sign = new("signed", ["draft"], ", signed_at = now()");
    private static readonly Step Send = new("sent", ["signed"], ", pharmacy_id = @pharmacyId");
    private static readonly Step Dispense = new("dispensed", ["sent"]);
    private static readonly Step Cancel = new("cancelled", ["draft", "signed", "sent"]);

    public static IEndpointRouteBuilder MapPrescriptionsApi(this IEndpointRouteBuilder app)
    {
        var prescriptions = app.MapGroup("/api/prescriptions").WithTags("Prescriptions");
        prescriptions.MapGet("/{id:guid}", GetPrescription).RequireAuthorization(Permissions.ReadEncounters).WithSummary("A prescription with its items");
        prescriptions.MapPost("/", CreatePrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Write a draft prescription in an encounter, with or without items");
        prescriptions.MapPut("/{id:guid}", UpdatePrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Change a draft's validity, pharmacy and notes");
        prescriptions.MapPost("/{id:guid}/items", AddItem).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Add a medication to a draft");
        prescriptions.MapPut("/{id:guid}/items/{itemId:guid}", UpdateItem).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Change a medication of a draft");
        prescriptions.MapDelete("/{id:guid}/items/{itemId:guid}", RemoveItem).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Remove a medication from a draft");
        prescriptions.MapPost("/{id:guid}/sign", SignPrescription).RequireAuthorization(Permissions.SignPrescriptions).WithSummary("Sign a draft (it needs at least one item)");
        prescriptions.MapPost("/{id:guid}/send", SendPrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Send a signed prescription to a pharmacy");
        prescriptions.MapPost("/{id:guid}/dispense", DispensePrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Record that the pharmacy dispensed it");
        prescriptions.MapPost("/{id:guid}/cancel", CancelPrescription).RequireAuthorization(Permissions.WritePrescriptions).WithSummary("Cancel a prescription not yet dispensed");
        return app;
    }

    public static async Task<Results<Ok<Prescription>, NotFound>> GetPrescription(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var prescription = await FindAsync(connection, id, cancellationToken);
        return prescription is null ? TypedResults.NotFound() : TypedResults.Ok(prescription);
    }

    public static async Task<Results<Created<Prescription>, ValidationProblem>> CreatePrescription(
        CreatePrescriptionRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("encounterId", request.EncounterId)
            .When(request.ValidUntil is not null && request.ValidFrom is not null && request.ValidUntil < request.ValidFrom,
                "validUntil", "validUntil must not be before validFrom.")
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
        // Patient and prescriber are the encounter's, so a prescription can never point elsewhere.
        var id = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition("""
            INSERT INTO prescriptions (encounter_id, patient_id, doctor_id, valid_from, valid_until, pharmacy_id, notes)
            SELECT e.id, e.patient_id, e.doctor_id, coalesce(@ValidFrom, CURRENT_DATE), @ValidUntil, @PharmacyId, @Notes
            FROM encounters e
            WHERE e.id = @EncounterId AND e.status <> 'cancelled'
            RETURNING id
            """, request, transaction, cancellationToken: cancellationToken));
        if (id is null)
        {
            return Problems.Invalid("encounterId", "No open or completed encounter with this id.");
        }

        if (request.ValidFrom is null && request.ValidUntil is not null
            && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT valid_until < valid_from FROM prescriptions WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)))
        {
            return Problems.Invalid("validUntil", "validUntil must not be before validFrom (today).");
        }

        foreach (var item in request.Items ?? [])
        {
            await InsertItemAsync(connection, transaction, id.Value, item, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        var prescription = (await FindAsync(connection, id.Value, cancellationToken))!;
        return TypedResults.Created($"/api/prescriptions/{prescription.Id}", prescription);
    }

    public static async Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> UpdatePrescription(
        Guid id, UpdatePrescriptionRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Required("validFrom", request.ValidFrom)
            .When(request.ValidUntil < request.ValidFrom, "validUntil", "validUntil must not be before validFrom.")
            .MaxLength("notes", request.Notes, 10_000);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE prescriptions SET valid_from = @ValidFrom, valid_until = @ValidUntil, pharmacy_id = @PharmacyId, notes = @Notes
            WHERE id = @id AND status = 'draft'
            """, new { id, request.ValidFrom, request.ValidUntil, request.PharmacyId, request.Notes }, cancellationToken: cancellationToken));
        var prescription = await FindAsync(connection, id, cancellationToken);
        if (prescription is null)
        {
            return TypedResults.NotFound();
        }

        return updated == 1 ? TypedResults.Ok(prescription) : Problems.WrongStatus("prescription", prescription.Status, "edited");
    }

    public static async Task<Results<Created<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> AddItem(
        Guid id, PrescriptionItemRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateItem(validation, request, string.Empty);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var status = await Transitions.LockStatusAsync(connection, transaction, "prescriptions", id, cancellationToken);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        if (status != "draft")
        {
            return Problems.WrongStatus("prescription", status, "edited");
        }

        var count = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*) FROM prescription_items WHERE prescription_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        if (count >= MaxItems)
        {
            return Problems.Conflict($"A prescription has at most {MaxItems} items.", "items");
        }

        await InsertItemAsync(connection, transaction, id, request, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/prescriptions/{id}", (await FindAsync(connection, id, cancellationToken))!);
    }

    public static async Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> UpdateItem(
        Guid id, Guid itemId, PrescriptionItemRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateItem(validation, request, string.Empty);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var status = await Transitions.LockStatusAsync(connection, transaction, "prescriptions", id, cancellationToken);
        if (status is not null && status != "draft")
        {
            return Problems.WrongStatus("prescription", status, "edited");
        }

        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE prescription_items
            SET medication_name = @MedicationName, dosage = @Dosage, frequency = @Frequency, duration = @Duration,
                quantity = @Quantity, refills = coalesce(@Refills, 0), instructions = @Instructions
            WHERE id = @itemId AND prescription_id = @id
            """, new { id, itemId, request.MedicationName, request.Dosage, request.Frequency, request.Duration, request.Quantity, request.Refills, request.Instructions },
            transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return TypedResults.NotFound();
        }

        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!);
    }

    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>>> RemoveItem(
        Guid id, Guid itemId, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var status = await Transitions.LockStatusAsync(connection, transaction, "prescriptions", id, cancellationToken);
        if (status is not null && status != "draft")
        {
            return Problems.WrongStatus("prescription", status, "edited");
        }

        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM prescription_items WHERE id = @itemId AND prescription_id = @id", new { id, itemId }, transaction, cancellationToken: cancellationToken));
        if (deleted == 0)
        {
            return TypedResults.NotFound();
        }

        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!);
    }

    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> SignPrescription(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var current = await FindAsync(connection, id, cancellationToken);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        // Only the prescriber signs what they prescribed.
        if (current.DoctorId != user.Id())
        {
            return TypedResults.Forbid();
        }

        if (current is { Status: "draft", Items.Length: 0 })
        {
            return Problems.Conflict("A prescription without items cannot be signed.", "items");
        }

        var (moved, status) = await Transitions.MoveAsync(connection, "prescriptions", id, Sign, cancellationToken);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        return moved ? TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!) : Problems.WrongStatus("prescription", status, "signed");
    }

    public static async Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> SendPrescription(
        Guid id, SendPrescriptionRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (request.PharmacyId is null || request.PharmacyId == Guid.Empty)
        {
            return Problems.Invalid("pharmacyId", "pharmacyId is required.");
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (moved, status) = await Transitions.MoveAsync(connection, "prescriptions", id, Send, cancellationToken, new { pharmacyId = request.PharmacyId });
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        return moved ? TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!) : Problems.WrongStatus("prescription", status, "sent");
    }

    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>>> DispensePrescription(
        Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await MoveAsync(connection, id, Dispense, "dispensed", cancellationToken);
    }

    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>>> CancelPrescription(
        Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await MoveAsync(connection, id, Cancel, "cancelled", cancellationToken);
    }

    public static async Task<Prescription?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Prescription>(new CommandDefinition(
            $"{Select} WHERE p.id = @id", new { id }, cancellationToken: cancellationToken));

    private static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>>> MoveAsync(
        NpgsqlConnection connection, Guid id, Step step, string verb, CancellationToken cancellationToken, object? extra = null)
    {
        var (moved, status) = await Transitions.MoveAsync(connection, "prescriptions", id, step, cancellationToken, extra);
        if (status is null)
        {
            return TypedResults.NotFound();
        }

        return moved ? TypedResults.Ok((await FindAsync(connection, id, cancellationToken))!) : Problems.WrongStatus("prescription", status, verb);
    }

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
