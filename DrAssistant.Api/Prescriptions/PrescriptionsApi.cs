using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static DrAssistant.Api.Prescriptions.PrescriptionsRules;

namespace DrAssistant.Api.Prescriptions;

/// <summary>
/// Medication orders. Written as a draft inside an encounter (the patient comes from it; the prescriber is the doctor
/// who writes it), edited while draft, then signed, sent to a pharmacy and dispensed, or cancelled. Only the prescriber
/// changes, signs, sends or cancels a prescription (403 for anyone else); the rules are in <see cref="PrescriptionsRules"/>,
/// the SQL and its locks in <see cref="PrescriptionsQueries"/>.
/// </summary>
public static class PrescriptionsApi
{
    private const string What = "prescription";

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

    public static async Task<Results<Ok<Prescription>, NotFound>> GetPrescription(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        await PrescriptionsQueries.GetAsync(db, id, cancellationToken) is { } prescription ? TypedResults.Ok(prescription) : TypedResults.NotFound();

    public static Task<Results<Created<Prescription>, ValidationProblem>> CreatePrescription(
        CreatePrescriptionRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ValidateCreate(request).CreateIfValid(() => PrescriptionsQueries.CreateAsync(db, request, user.Id(), cancellationToken), Location);

    public static Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> UpdatePrescription(
        Guid id, UpdatePrescriptionRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ValidateUpdate(request).ChangeIfValid(() => PrescriptionsQueries.UpdateAsync(db, id, request, user.Id(), cancellationToken), What, Edited, Ok);

    public static Task<Results<Created<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> AddItem(
        Guid id, PrescriptionItemRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ValidateItem(request).ChangeIfValid(() => PrescriptionsQueries.AddItemAsync(db, id, request, user.Id(), cancellationToken), What, Edited, Created);

    public static Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> UpdateItem(
        Guid id, Guid itemId, PrescriptionItemRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ValidateItem(request).ChangeIfValid(() => PrescriptionsQueries.UpdateItemAsync(db, id, itemId, request, user.Id(), cancellationToken), What, Edited, Ok);

    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> RemoveItem(
        Guid id, Guid itemId, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await PrescriptionsQueries.RemoveItemAsync(db, id, itemId, user.Id(), cancellationToken)).Answer(What, Edited, Ok);

    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> SignPrescription(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await PrescriptionsQueries.SignAsync(db, id, user.Id(), cancellationToken)).Answer(What, Signed, Ok);

    public static Task<Results<Ok<Prescription>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> SendPrescription(
        Guid id, SendPrescriptionRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        ValidateSend(request).ChangeIfValid(() => PrescriptionsQueries.SendAsync(db, id, request.PharmacyId!.Value, user.Id(), cancellationToken), What, Sent, Ok);

    /// <summary>The pharmacy's news, recorded by whoever hears it: not the prescriber's alone.</summary>
    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>>> DispensePrescription(
        Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await PrescriptionsQueries.DispenseAsync(db, id, cancellationToken)).Answer(What, Dispensed, Ok).Unowned();

    public static async Task<Results<Ok<Prescription>, NotFound, Conflict<ProblemDetails>, ForbidHttpResult>> CancelPrescription(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        (await PrescriptionsQueries.CancelAsync(db, id, user.Id(), cancellationToken)).Answer(What, Cancelled, Ok);

    private static string Location(Prescription prescription) => $"/api/prescriptions/{prescription.Id}";

    private static Created<Prescription> Created(Prescription prescription) => TypedResults.Created(Location(prescription), prescription);

    private static Ok<Prescription> Ok(Prescription prescription) => TypedResults.Ok(prescription);
}
