using Dapper;
using DrAssistant.Api.Infrastructure;
using Npgsql;

namespace DrAssistant.Api.Patients;

/// <summary>
/// The patients table and the cached demographics. A change of a patient tells the <see cref="CachePolicy"/> where
/// the patient's name is cached besides: the doctor-days of its appointments, the dashboards of its unread alerts.
/// </summary>
public static class PatientsQueries
{
    private const string Columns = """
        id, mrn, abha_id, first_name, last_name, date_of_birth, gender, phone, email, address, emergency_contact,
        blood_group, allergies, status, created_at, updated_at
        """;

    /// <summary>The design's demographics (what <c>patient:{id}:demographics</c> holds).</summary>
    public const string DemographicsSql = """
        SELECT id, mrn, abha_id, first_name, last_name, date_of_birth, gender, phone, email FROM patients WHERE id = @id
        """;

    /// <summary>Every value the patient's fields are copied into (read through idx_appointments_patient, idx_alerts_patient).</summary>
    public const string EmbedsSql = """
        SELECT doctor_id, start_time FROM appointments WHERE patient_id = @id;
        SELECT DISTINCT user_id FROM alerts WHERE patient_id = @id AND NOT is_read;
        """;

    /// <summary>
    /// An exact MRN or ABHA id finds that patient; otherwise the words match the start of first or last names
    /// ("asha ra" finds Asha Rao), case-insensitively. Ordered by last name, first name.
    /// </summary>
    public static Task<IEnumerable<Patient>> SearchAsync(
        NpgsqlDataSource db, string? query, string? status, PageRequest paging, CancellationToken cancellationToken)
    {
        var words = (query ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(w => EscapeLike(w.ToLowerInvariant()) + "%").ToArray();
        return db.QueryAsync<Patient>($"""
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
            """, new { query = query?.Trim(), status, words, paging.Limit, paging.Offset }, cancellationToken);
    }

    public static Task<Patient?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        db.QuerySingleOrDefaultAsync<Patient>($"SELECT {Columns} FROM patients WHERE id = @id", new { id }, cancellationToken);

    public static Task<PatientDemographics?> DemographicsAsync(
        NpgsqlDataSource db, RedisCache cache, CacheOptions lifetimes, Guid id, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(CachePolicy.DemographicsFamily, CachePolicy.PatientDemographicsKey(id), lifetimes.PatientDemographics,
            ct => db.QuerySingleOrDefaultAsync<PatientDemographics>(DemographicsSql, new { id }, ct), cancellationToken);

    public static Task<Patient> CreateAsync(NpgsqlDataSource db, PatientRequest request, CancellationToken cancellationToken) =>
        db.QuerySingleAsync<Patient>($"""
            INSERT INTO patients (mrn, abha_id, first_name, last_name, date_of_birth, gender, phone, email, address,
                                  emergency_contact, blood_group, allergies, status)
            VALUES (@Mrn, @AbhaId, @FirstName, @LastName, @DateOfBirth, @Gender, @Phone, @Email, @Address,
                    @EmergencyContact, @BloodGroup, @Allergies, coalesce(@Status, '{PatientsRules.Active}'))
            RETURNING {Columns}
            """, Parameters(request), cancellationToken);

    /// <summary>
    /// Replaces a record (null: no such patient). In the same round trip, reads where the patient is embedded in cached
    /// values, for the <see cref="CachePolicy"/> to drop once the change is written.
    /// </summary>
    public static async Task<Patient?> UpdateAsync(
        NpgsqlDataSource db, CachePolicy cache, Guid id, PatientRequest request, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(Parameters(request));
        parameters.Add("id", id);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            UPDATE patients
            SET mrn = @Mrn, abha_id = @AbhaId, first_name = @FirstName, last_name = @LastName, date_of_birth = @DateOfBirth,
                gender = @Gender, phone = @Phone, email = @Email, address = @Address, emergency_contact = @EmergencyContact,
                blood_group = @BloodGroup, allergies = @Allergies, status = @Status
            WHERE id = @id
            RETURNING {Columns};
            {EmbedsSql}
            """, parameters, cancellationToken: cancellationToken));
        var patient = await results.ReadSingleOrDefaultAsync<Patient>();
        var embeds = new PatientEmbeds((await results.ReadAsync<DoctorSlot>()).ToList(), (await results.ReadAsync<Guid>()).ToList());
        if (patient is not null)
        {
            await cache.PatientChangedAsync(id, embeds);
        }

        return patient;
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

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
