using System.Text.Json;
using Dapper;
using DrAssistant.Api.Dashboard;
using DrAssistant.Api.Patients;
using Npgsql;

namespace DrAssistant.Api.Tests.Patterns;

/// <summary>
/// On tables big enough that reading them whole would cost more than an index (tens of thousands of rows over many
/// doctors and patients), the dashboard's and the timeline's queries are answered through the spec's indexes.
/// </summary>
public sealed class QueryPlanTests(BigClinic api) : IClassFixture<BigClinic>
{
    private Guid Doctor => api.Doctor;

    private Guid Patient => api.Patient;


    [Fact]
    public async Task TheDoctorsDayIsReadThroughTheDoctorDayIndex()
    {
        var plan = await ExplainAsync(DashboardApi.AppointmentsSql, new
        {
            doctorId = Doctor,
            dayStart = new DateTime(2026, 1, 5, 18, 30, 0, DateTimeKind.Utc),
            dayEnd = new DateTime(2026, 1, 6, 18, 30, 0, DateTimeKind.Utc),
        });

        Assert.Contains("idx_appointments_doctor_day", plan, StringComparison.Ordinal);
        AssertNoSequentialScanOf(plan, "appointments", "patients");
    }

    [Fact]
    public async Task PendingTasksAndUnreadAlertsAreReadThroughTheirRecipientIndexes()
    {
        var tasks = await ExplainAsync(DashboardApi.PendingTasksSql, new { doctorId = Doctor, taskLimit = 20 });
        var alerts = await ExplainAsync(DashboardApi.UnreadAlertsSql, new { doctorId = Doctor, alertLimit = 20 });

        Assert.Contains("idx_tasks_assigned_to", tasks, StringComparison.Ordinal);
        Assert.Contains("idx_alerts_user", alerts, StringComparison.Ordinal);
        AssertNoSequentialScanOf(tasks, "tasks");
        AssertNoSequentialScanOf(alerts, "alerts", "patients");
    }

    [Fact]
    public async Task TheTimelineReadsEachListThroughThePatientsIndexes()
    {
        var parameters = new { id = Patient, Limit = 21, Offset = 0 };

        var encounters = await ExplainAsync(TimelineApi.EncountersSql, parameters);
        var prescriptions = await ExplainAsync(TimelineApi.PrescriptionsSql, parameters);
        var orders = await ExplainAsync(TimelineApi.OrdersSql, parameters);

        // Either patient index serves it (idx_encounters_patient_time or idx_encounters_patient); the planner picks by size.
        Assert.Contains("idx_encounters_patient", encounters, StringComparison.Ordinal);
        Assert.Contains("idx_prescriptions_patient", prescriptions, StringComparison.Ordinal);
        Assert.Contains("idx_prescription_items_prescription", prescriptions, StringComparison.Ordinal);
        Assert.Contains("idx_orders_patient", orders, StringComparison.Ordinal);
        Assert.Contains("idx_order_items_order", orders, StringComparison.Ordinal);
        AssertNoSequentialScanOf(encounters, "encounters", "users");
        AssertNoSequentialScanOf(prescriptions, "prescriptions", "prescription_items", "users");
        AssertNoSequentialScanOf(orders, "orders", "order_items", "users");
    }

    private async Task<string> ExplainAsync(string sql, object parameters)
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        var plan = await connection.QuerySingleAsync<string>($"EXPLAIN (FORMAT JSON) {sql}", parameters);
        return JsonDocument.Parse(plan).RootElement.ToString();
    }

    private static void AssertNoSequentialScanOf(string plan, params string[] tables)
    {
        var scans = Nodes(JsonDocument.Parse(plan).RootElement)
            .Where(n => n.GetProperty("Node Type").GetString() == "Seq Scan")
            .Select(n => n.GetProperty("Relation Name").GetString())
            .ToList();
        Assert.DoesNotContain(scans, tables.Contains);
    }

    private static IEnumerable<JsonElement> Nodes(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var node in Nodes(item))
                {
                    yield return node;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("Node Type", out _))
            {
                yield return element;
            }

            foreach (var property in element.EnumerateObject())
            {
                foreach (var node in Nodes(property.Value))
                {
                    yield return node;
                }
            }
        }
    }
}

/// <summary>The API over a clinic big enough for the planner to prefer indexes only when they fit.</summary>
public sealed class BigClinic : ApiFactory
{
    public Guid Doctor { get; private set; }

    public Guid Patient { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // 2 000 staff, 50 000 patients, 100 000 appointments, 50 000 encounters with a prescription and an order each
        // (one item apiece), 50 000 tasks and alerts: enough that the planner reads whole tables only when it must.
        // (Tens of seconds on a busy machine, the appointments' exclusion constraint included: no 30 s command timeout.)
        await using var seeding = await Db.OpenConnectionAsync();
        await seeding.ExecuteAsync(new CommandDefinition("""
            INSERT INTO users (username, email, full_name, role, password_hash)
            SELECT 'plan_doc_' || g, 'plan_doc_' || g || '@clinic.example', 'Dr. ' || g, 'doctor', 'x' FROM generate_series(1, 2000) g;
            INSERT INTO patients (first_name, last_name, date_of_birth, gender)
            SELECT 'P' || g, 'L' || g, date '1950-01-01' + g % 20000, 'other' FROM generate_series(1, 50000) g;
            CREATE TEMP TABLE d AS SELECT id, row_number() OVER () AS n FROM users WHERE username LIKE 'plan_doc_%';
            CREATE TEMP TABLE p AS SELECT id, row_number() OVER () AS n FROM patients WHERE first_name LIKE 'P%';
            INSERT INTO appointments (doctor_id, patient_id, start_time, end_time, appointment_type)
            SELECT d.id, p.id, timestamptz '2026-01-01' + g * interval '7 minutes', timestamptz '2026-01-01' + g * interval '7 minutes' + interval '5 minutes', 'routine'
            FROM generate_series(1, 100000) g JOIN d ON d.n = 1 + g % 2000 JOIN p ON p.n = 1 + g % 50000;
            INSERT INTO encounters (doctor_id, patient_id, encounter_type, start_time)
            SELECT d.id, p.id, 'office_visit', timestamptz '2025-01-01' + g * interval '10 minutes'
            FROM generate_series(1, 50000) g JOIN d ON d.n = 1 + g % 2000 JOIN p ON p.n = 1 + (g * 7) % 50000;
            INSERT INTO prescriptions (encounter_id, patient_id, doctor_id) SELECT id, patient_id, doctor_id FROM encounters;
            INSERT INTO prescription_items (prescription_id, medication_name, dosage, frequency) SELECT id, 'M', '1', 'daily' FROM prescriptions;
            INSERT INTO orders (encounter_id, patient_id, doctor_id, order_type) SELECT id, patient_id, doctor_id, 'lab' FROM encounters;
            INSERT INTO order_items (order_id, item_code, item_name) SELECT id, 'C', 'N' FROM orders;
            INSERT INTO tasks (title, assigned_to, created_by, priority, task_type)
            SELECT 'T' || g, d.id, d.id, (ARRAY['low','medium','high','urgent'])[1 + g % 4], 'review'
            FROM generate_series(1, 50000) g JOIN d ON d.n = 1 + g % 2000;
            INSERT INTO alerts (user_id, patient_id, alert_type, severity, title, message)
            SELECT d.id, p.id, 'system', (ARRAY['low','medium','high','critical'])[1 + g % 4], 'A' || g, 'm'
            FROM generate_series(1, 50000) g JOIN d ON d.n = 1 + g % 2000 JOIN p ON p.n = 1 + g % 50000;
            ANALYZE;
            """, commandTimeout: 600));
        await using var connection = await Db.OpenConnectionAsync();
        Doctor = await connection.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE username = 'plan_doc_7'");
        Patient = await connection.ExecuteScalarAsync<Guid>("SELECT patient_id FROM encounters GROUP BY patient_id ORDER BY count(*) DESC, patient_id LIMIT 1");
    }
}
