using Dapper;
using DrAssistant.Api.Encounters;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Prescriptions;
using Npgsql;

namespace DrAssistant.Api.Patients;

/// <summary>Pattern 2's PostgreSQL half: the patient and a page of each list, in one round trip, each read through its index.</summary>
public static class TimelineQueries
{
    public const string PatientSql = PatientsQueries.DemographicsSql;

    public const string EncountersSql = """
        SELECT e.id, e.appointment_id, e.doctor_id, u.full_name AS doctor_name, e.patient_id, e.encounter_type,
               e.start_time, e.end_time, e.chief_complaint, e.status
        FROM encounters e JOIN users u ON u.id = e.doctor_id
        WHERE e.patient_id = @id
        ORDER BY e.start_time DESC, e.id
        LIMIT @Limit OFFSET @Offset
        """;

    // The page's ids are chosen first: with LIMIT/OFFSET on the outer query, PostgreSQL builds the items of every row
    // it skips (a page deep in a long history built ten times the lists it returned).
    public const string PrescriptionsSql = $"""
        {PrescriptionsQueries.Select}
        WHERE p.id IN (SELECT id FROM prescriptions WHERE patient_id = @id ORDER BY created_at DESC, id LIMIT @Limit OFFSET @Offset)
        ORDER BY p.created_at DESC, p.id
        """;

    public const string OrdersSql = $"""
        {OrdersQueries.Select}
        WHERE o.id IN (SELECT id FROM orders WHERE patient_id = @id ORDER BY created_at DESC, id LIMIT @Limit OFFSET @Offset)
        ORDER BY o.created_at DESC, o.id
        """;

    /// <summary>The patient (null: no such patient) and a page of its encounters, prescriptions and orders.</summary>
    public static async Task<(PatientDemographics? Patient, PagedList<EncounterSummary> Encounters, PagedList<Prescription> Prescriptions, PagedList<Order> Orders)> ReadAsync(
        NpgsqlDataSource db, Guid id, PageRequest paging, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            $"{PatientSql};\n{EncountersSql};\n{PrescriptionsSql};\n{OrdersSql};",
            new { id, paging.Limit, paging.Offset }, cancellationToken: cancellationToken));
        var patient = await results.ReadSingleOrDefaultAsync<PatientDemographics>();
        var encounters = paging.ToPage(await results.ReadAsync<EncounterSummary>());
        var prescriptions = paging.ToPage(await results.ReadAsync<Prescription>());
        var orders = paging.ToPage(await results.ReadAsync<Order>());
        return (patient, encounters, prescriptions, orders);
    }
}
