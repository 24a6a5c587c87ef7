using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Patients;

/// <summary>Patients: records, search by name, MRN or ABHA id, and the cached demographics.</summary>
public static class PatientsApi
{
    public static IEndpointRouteBuilder MapPatientsApi(this IEndpointRouteBuilder app)
    {
        var patients = app.MapGroup("/api/patients").WithTags("Patients");
        patients.MapGet("/", SearchPatients).RequireAuthorization(Permissions.ReadPatients).WithSummary("Search patients by name, MRN or ABHA id, paged");
        patients.MapGet("/{id:guid}", GetPatient).RequireAuthorization(Permissions.ReadPatients).WithSummary("A patient's full record");
        patients.MapGet("/{id:guid}/demographics", GetDemographics).RequireAuthorization(Permissions.ReadPatients).WithSummary("A patient's demographics (cached)");
        patients.MapPost("/", CreatePatient).RequireAuthorization(Permissions.WritePatients).WithSummary("Register a patient");
        patients.MapPut("/{id:guid}", UpdatePatient).RequireAuthorization(Permissions.WritePatients).WithSummary("Replace a patient's record");
        return app;
    }

    public static async Task<Results<Ok<PagedList<Patient>>, ValidationProblem>> SearchPatients(
        NpgsqlDataSource db, string? query, string? status, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var validation = PatientsRules.ValidateSearch(query, status);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return TypedResults.Ok(paging.ToPage(await PatientsQueries.SearchAsync(db, query, status, paging, cancellationToken)));
    }

    public static async Task<Results<Ok<Patient>, NotFound>> GetPatient(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        await PatientsQueries.FindAsync(db, id, cancellationToken) is { } patient ? TypedResults.Ok(patient) : TypedResults.NotFound();

    public static async Task<Results<Ok<PatientDemographics>, NotFound>> GetDemographics(
        Guid id, NpgsqlDataSource db, RedisCache cache, IOptions<CacheOptions> lifetimes, CancellationToken cancellationToken) =>
        await PatientsQueries.DemographicsAsync(db, cache, lifetimes.Value, id, cancellationToken) is { } demographics
            ? TypedResults.Ok(demographics)
            : TypedResults.NotFound();

    public static async Task<Results<Created<Patient>, ValidationProblem, Conflict<ProblemDetails>>> CreatePatient(
        PatientRequest request, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = PatientsRules.Validate(request, Today(time), requireStatus: false);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var patient = await PatientsQueries.CreateAsync(db, request, cancellationToken);
            return TypedResults.Created($"/api/patients/{patient.Id}", patient);
        }
        catch (PostgresException ex) when (DbErrors.IsConflict(ex))
        {
            return DbErrors.Conflict(ex);
        }
    }

    public static async Task<Results<Ok<Patient>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> UpdatePatient(
        Guid id, PatientRequest request, NpgsqlDataSource db, CachePolicy cache, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = PatientsRules.Validate(request, Today(time), requireStatus: true);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var patient = await PatientsQueries.UpdateAsync(db, cache, id, request, cancellationToken);
            return patient is null ? TypedResults.NotFound() : TypedResults.Ok(patient);
        }
        catch (PostgresException ex) when (DbErrors.IsConflict(ex))
        {
            return DbErrors.Conflict(ex);
        }
    }

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
}
