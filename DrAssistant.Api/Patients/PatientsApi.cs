using System.Text.Json;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Patients;

/// <summary>Patients: records, search by name, MRN or ABHA id, and the cached demographics.</summary>
public static class PatientsApi
{
    private const string Columns = """
        id, mrn, abha_id, first_name, last_name, date_of_birth, gender, phone, email, address, emergency_contact,
        blood_group, allergies, status, created_at, updated_at
        """;

    private static readonly string[] BloodGroups = ["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"];

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

    /// <summary>
    /// An exact MRN or ABHA id finds that patient; otherwise the words match the start of first or last names
    /// ("asha ra" finds Asha Rao), case-insensitively. Ordered by last name, first name.
    /// </summary>
    public static async Task<Results<Ok<PagedList<Patient>>, ValidationProblem>> SearchPatients(
        NpgsqlDataSource db, string? query, string? status, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .MaxLength("query", query, 100)
            .OneOf("status", status, Vocabulary.PatientStatuses, required: false);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var words = (query ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(w => EscapeLike(w.ToLowerInvariant()) + "%").ToArray();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Patient>(new CommandDefinition($"""
            SELECT {Columns}
            FROM patients
            WHERE (@status::varchar IS NULL OR status = @status)
              AND (
                cardinality(@words) = 0
                OR mrn = @query OR abha_id = @query
                OR (SELECT bool_and(lower(first_name) LIKE w OR lower(last_name) LIKE w) FROM unnest(@words) AS w)
              )
            ORDER BY last_name, first_name, id
            LIMIT @Limit OFFSET @Offset
            """, new { query = query?.Trim(), status, words, paging.Limit, paging.Offset }, cancellationToken: cancellationToken));
        return TypedResults.Ok(paging.ToPage(rows));
    }

    public static async Task<Results<Ok<Patient>, NotFound>> GetPatient(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var patient = await connection.QuerySingleOrDefaultAsync<Patient>(new CommandDefinition(
            $"SELECT {Columns} FROM patients WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return patient is null ? TypedResults.NotFound() : TypedResults.Ok(patient);
    }

    public static async Task<Results<Ok<PatientDemographics>, NotFound>> GetDemographics(
        Guid id, NpgsqlDataSource db, RedisCache cache, IOptions<CacheOptions> lifetimes, CancellationToken cancellationToken)
    {
        var demographics = await cache.GetOrLoadAsync("patient-demographics", CacheKeys.PatientDemographics(id),
            lifetimes.Value.PatientDemographics, async ct =>
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                return await connection.QuerySingleOrDefaultAsync<PatientDemographics>(new CommandDefinition("""
                    SELECT id, mrn, abha_id, first_name, last_name, date_of_birth, gender, phone, email
                    FROM patients WHERE id = @id
                    """, new { id }, cancellationToken: ct));
            }, cancellationToken);
        return demographics is null ? TypedResults.NotFound() : TypedResults.Ok(demographics);
    }

    public static async Task<Results<Created<Patient>, ValidationProblem, Conflict<ProblemDetails>>> CreatePatient(
        PatientRequest request, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = Validate(request, time, requireStatus: false);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var patient = await connection.QuerySingleAsync<Patient>(new CommandDefinition($"""
                INSERT INTO patients (mrn, abha_id, first_name, last_name, date_of_birth, gender, phone, email, address,
                                      emergency_contact, blood_group, allergies, status)
                VALUES (@Mrn, @AbhaId, @FirstName, @LastName, @DateOfBirth, @Gender, @Phone, @Email, @Address,
                        @EmergencyContact, @BloodGroup, @Allergies, coalesce(@Status, 'active'))
                RETURNING {Columns}
                """, Parameters(request), cancellationToken: cancellationToken));
            return TypedResults.Created($"/api/patients/{patient.Id}", patient);
        }
        catch (PostgresException ex) when (DbErrors.IsConflict(ex))
        {
            return DbErrors.Conflict(ex);
        }
    }

    public static async Task<Results<Ok<Patient>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> UpdatePatient(
        Guid id, PatientRequest request, NpgsqlDataSource db, RedisCache cache, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = Validate(request, time, requireStatus: true);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var parameters = new DynamicParameters(Parameters(request));
            parameters.Add("id", id);
            var patient = await connection.QuerySingleOrDefaultAsync<Patient>(new CommandDefinition($"""
                UPDATE patients
                SET mrn = @Mrn, abha_id = @AbhaId, first_name = @FirstName, last_name = @LastName, date_of_birth = @DateOfBirth,
                    gender = @Gender, phone = @Phone, email = @Email, address = @Address, emergency_contact = @EmergencyContact,
                    blood_group = @BloodGroup, allergies = @Allergies, status = @Status
                WHERE id = @id
                RETURNING {Columns}
                """, parameters, cancellationToken: cancellationToken));
            if (patient is null)
            {
                return TypedResults.NotFound();
            }

            await cache.RemoveAsync(CacheKeys.PatientDemographics(id));
            return TypedResults.Ok(patient);
        }
        catch (PostgresException ex) when (DbErrors.IsConflict(ex))
        {
            return DbErrors.Conflict(ex);
        }
    }

    private static object Parameters(PatientRequest r) => new
    {
        Mrn = Blank(r.Mrn),
        AbhaId = Blank(r.AbhaId),
        r.FirstName,
        r.LastName,
        r.DateOfBirth,
        r.Gender,
        r.Phone,
        r.Email,
        r.Address,
        r.EmergencyContact,
        r.BloodGroup,
        r.Allergies,
        r.Status,
    };

    private static Validation Validate(PatientRequest r, TimeProvider time, bool requireStatus)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        return new Validation()
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
            .OneOf("status", r.Status, Vocabulary.PatientStatuses, required: requireStatus);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
