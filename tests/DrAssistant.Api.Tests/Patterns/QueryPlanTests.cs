using System.Diagnostics;
using System.Text.Json;
using Dapper;
using DrAssistant.Api.Dashboard;
using DrAssistant.Api.Patients;
using Npgsql;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Patterns;

/// <summary>
/// On tables big enough that reading them whole would cost more than an index (tens of thousands of rows over many
/// doctors and patients, a million tasks and alerts), the dashboard's and the timeline's queries are answered through
/// the spec's indexes.
/// </summary>
public sealed class QueryPlanTests(BigClinic api, ITestOutputHelper output) : IClassFixture<BigClinic>
{
    private Guid Doctor => api.Doctor;

    private Guid Patient => api.Patient;


    [Fact]
    public async Task TheDoctorsDayIsReadThroughTheDoctorDayIndex()
    {
        var plan = await ExplainAsync(DashboardQueries.AppointmentsSql, new
        {
            doctorId = Doctor,
            dayStart = new DateTime(2026, 1, 5, 18, 30, 0, DateTimeKind.Utc),
            dayEnd = new DateTime(2026, 1, 6, 18, 30, 0, DateTimeKind.Utc),
        });

        Assert.Contains("idx_appointments_doctor_day", plan, StringComparison.Ordinal);
        AssertNoSequentialScanOf(plan, "appointments", "patients");
    }

    // Schema version 5: a million tasks and a million alerts, a fifth of them open, and the doctor's open ones are read
    // from the partial indexes alone (not ANDed with the clinic-wide status index), the first page in the index's order.
    // Both the plan for the values (what a first execution gets) and the generic plan (what a prepared statement may
    // settle on after five) are checked: the API auto-prepares these statements.
    [Theory]
    [InlineData("auto")]
    [InlineData("force_generic_plan")]
    public async Task PendingTasksAreReadInOrderFromTheAssigneesPendingIndexWithoutASort(string planCacheMode)
    {
        var plan = await ExplainAsync(DashboardQueries.PendingTasksSql, new { doctorId = Doctor, taskLimit = 20 }, planCacheMode);

        Assert.Equal(["idx_tasks_assignee_pending"], IndexesOf(plan, "tasks"));
        AssertNoSortAndNoSequentialScan(plan, "tasks");
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("force_generic_plan")]
    public async Task UnreadAlertsAreReadInOrderFromTheUsersUnreadIndexWithoutASort(string planCacheMode)
    {
        var plan = await ExplainAsync(DashboardQueries.UnreadAlertsSql, new { doctorId = Doctor, alertLimit = 20 }, planCacheMode);

        Assert.Equal(["idx_alerts_user_unread"], IndexesOf(plan, "alerts"));
        AssertNoSortAndNoSequentialScan(plan, "alerts", "patients");
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("force_generic_plan")]
    public async Task TheDashboardsCountsReadOnlyTheDoctorsOpenRowsFromThePartialIndexes(string planCacheMode)
    {
        var plan = await ExplainAsync(DashboardQueries.CountsSql, new { doctorId = Doctor }, planCacheMode);

        Assert.Equal(["idx_tasks_assignee_pending"], IndexesOf(plan, "tasks"));
        Assert.Equal(["idx_alerts_user_unread"], IndexesOf(plan, "alerts"));
        AssertNoSortAndNoSequentialScan(plan, "users", "tasks", "alerts");
    }

    [Fact]
    public async Task TheFirstPageIsTheIndexsFirstEntriesInTheDashboardsOrder()
    {
        // The rows the plan reads are the rows the dashboard shows: most urgent first, then due date (none last), …
        await using var connection = await api.Db.OpenConnectionAsync();
        var tasks = (await connection.QueryAsync<(string Priority, DateTime? DueDate)>(
            $"SELECT priority, due_date FROM ({DashboardQueries.PendingTasksSql}) t", new { doctorId = Doctor, taskLimit = 100 })).ToList();
        var alerts = (await connection.QueryAsync<(string Severity, DateTime CreatedAt)>(
            $"SELECT severity, created_at FROM ({DashboardQueries.UnreadAlertsSql}) a", new { doctorId = Doctor, alertLimit = 100 })).ToList();

        output.WriteLine($"The clinic was seeded in {api.SeedingTime.TotalSeconds:0.0} s; the doctor's first 100 pending tasks and unread alerts: {tasks.Count}, {alerts.Count}.");
        Assert.True(tasks.Count >= 20 && alerts.Count >= 20, $"the doctor has {tasks.Count} pending tasks and {alerts.Count} unread alerts");
        string[] priorities = ["urgent", "high", "medium", "low"];
        Assert.Equal(tasks.OrderBy(t => Array.IndexOf(priorities, t.Priority)).ThenBy(t => t.DueDate ?? DateTime.MaxValue), tasks);
        Assert.Contains(tasks, t => t.DueDate is null);
        string[] severities = ["critical", "high", "medium", "low"];
        Assert.Equal(alerts.OrderBy(a => Array.IndexOf(severities, a.Severity)).ThenByDescending(a => a.CreatedAt), alerts);
    }

    [Fact]
    public async Task TheTimelineReadsEachListThroughThePatientsIndexes()
    {
        var parameters = new { id = Patient, Limit = 21, Offset = 0 };

        var encounters = await ExplainAsync(TimelineQueries.EncountersSql, parameters);
        var prescriptions = await ExplainAsync(TimelineQueries.PrescriptionsSql, parameters);
        var orders = await ExplainAsync(TimelineQueries.OrdersSql, parameters);

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

    [Fact]
    public async Task APageDeepInALongHistoryBuildsTheItemsOfItsOwnPrescriptionsOnly()
    {
        // A patient with 60 prescriptions (one item each), written and read in a transaction that is rolled back.
        await using var connection = await api.Db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var patient = await connection.QuerySingleAsync<Guid>("""
            WITH p AS (INSERT INTO patients (first_name, last_name, date_of_birth, gender)
                       VALUES ('Long', 'History', '1950-01-01', 'female') RETURNING id),
                 e AS (INSERT INTO encounters (doctor_id, patient_id, encounter_type, start_time)
                       SELECT @doctor, p.id, 'office_visit', now() FROM p RETURNING id, patient_id),
                 rx AS (INSERT INTO prescriptions (encounter_id, patient_id, doctor_id, created_at)
                        SELECT e.id, e.patient_id, @doctor, now() - g * interval '1 hour' FROM e, generate_series(1, 60) g RETURNING id),
                 items AS (INSERT INTO prescription_items (prescription_id, medication_name, dosage, frequency)
                           SELECT id, 'Paracetamol', '500 mg', 'twice a day' FROM rx RETURNING 1)
            SELECT id FROM p
            """, new { doctor = Doctor }, transaction);

        var plan = await connection.QuerySingleAsync<string>($"EXPLAIN (ANALYZE, FORMAT JSON) {TimelineQueries.PrescriptionsSql}",
            new { id = patient, Limit = 21, Offset = 40 }, transaction);

        // Before, the items were built for every row the page skipped too (60 here), not for the 20 returned.
        var root = JsonDocument.Parse(plan).RootElement[0].GetProperty("Plan");
        var subPlans = Nodes(root).Where(n => n.TryGetProperty("Parent Relationship", out var r) && r.GetString() == "SubPlan").ToList();
        output.WriteLine($"rows {root.GetProperty("Actual Rows")}; sub-plan loops: {string.Join(", ", subPlans.Select(n => n.GetProperty("Actual Loops").GetInt64()))}");
        Assert.Equal(20, root.GetProperty("Actual Rows").GetInt64());
        Assert.NotEmpty(subPlans);
        Assert.All(subPlans, n => Assert.True(n.GetProperty("Actual Loops").GetInt64() <= 21, $"a sub-plan ran {n.GetProperty("Actual Loops")} times"));
    }

    private async Task<string> ExplainAsync(string sql, object parameters, string planCacheMode = "auto")
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync($"SET LOCAL plan_cache_mode = {planCacheMode}", transaction: transaction);
        var plan = await connection.QuerySingleAsync<string>($"EXPLAIN (FORMAT JSON) {sql}", parameters, transaction);
        return JsonDocument.Parse(plan).RootElement.ToString();
    }

    /// <summary>The indexes a plan reads this table through (index, index-only and bitmap index scans).</summary>
    private static List<string?> IndexesOf(string plan, string table)
    {
        var nodes = Nodes(JsonDocument.Parse(plan).RootElement).ToList();
        var tableIndexes = new HashSet<string?>(nodes
            .Where(n => n.TryGetProperty("Relation Name", out var relation) && relation.GetString() == table && n.TryGetProperty("Index Name", out _))
            .Select(n => n.GetProperty("Index Name").GetString()));
        // A bitmap index scan names its index but not its table: it belongs to the bitmap heap scan above it.
        foreach (var heap in nodes.Where(n => n.GetProperty("Node Type").GetString() == "Bitmap Heap Scan" && n.GetProperty("Relation Name").GetString() == table))
        {
            tableIndexes.UnionWith(Nodes(heap.GetProperty("Plans")).Where(n => n.TryGetProperty("Index Name", out _)).Select(n => n.GetProperty("Index Name").GetString()));
        }

        return [.. tableIndexes.Order()];
    }

    private static void AssertNoSortAndNoSequentialScan(string plan, params string[] tables)
    {
        var types = Nodes(JsonDocument.Parse(plan).RootElement).Select(n => n.GetProperty("Node Type").GetString()).ToList();
        Assert.DoesNotContain("Sort", types);
        Assert.DoesNotContain("Incremental Sort", types);
        Assert.DoesNotContain("BitmapAnd", types);
        AssertNoSequentialScanOf(plan, tables);
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

    /// <summary>How long seeding took, for the test output.</summary>
    public TimeSpan SeedingTime { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var started = Stopwatch.GetTimestamp();
        // 2 000 staff, 50 000 patients, 100 000 appointments, 50 000 encounters with a prescription and an order each
        // (one item apiece): enough that the planner reads whole tables only when it must.
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
            """, commandTimeout: 600));

        // A million tasks and a million alerts (500 per doctor), a fifth of them pending or unread, of every priority and
        // severity, a third without a due date: the open rows of one doctor are a sliver of the clinic's open rows.
        await BulkLoadAsync(
            ("tasks", """
                INSERT INTO tasks (id, title, assigned_to, created_by, priority, status, task_type, due_date, created_at)
                SELECT lpad(to_hex(g), 32, '0')::uuid, 'T' || g, d.id, d.id, (ARRAY['low','medium','high','urgent'])[1 + (g / 2000) % 4],
                       CASE WHEN (g / 2000) % 5 = 0 THEN 'pending' ELSE 'completed' END, 'review',
                       CASE WHEN g % 3 = 0 THEN NULL ELSE timestamptz '2026-01-01' + (g % 997) * interval '1 hour' END,
                       timestamptz '2025-01-01' + g * interval '1 minute'
                FROM generate_series(1, 1000000) g
                JOIN (SELECT id, row_number() OVER (ORDER BY username) AS n FROM users WHERE username LIKE 'plan_doc_%') d ON d.n = 1 + g % 2000
                """),
            ("alerts", """
                INSERT INTO alerts (id, user_id, patient_id, alert_type, severity, title, message, is_read, created_at)
                SELECT lpad(to_hex(g), 32, '0')::uuid, d.id, CASE WHEN g % 4 = 0 THEN NULL ELSE p.id END, 'system',
                       (ARRAY['low','medium','high','critical'])[1 + (g / 2000) % 4], 'A' || g, 'm', (g / 2000) % 5 <> 0,
                       timestamptz '2025-01-01' + g * interval '1 minute'
                FROM generate_series(1, 1000000) g
                JOIN (SELECT id, row_number() OVER (ORDER BY username) AS n FROM users WHERE username LIKE 'plan_doc_%') d ON d.n = 1 + g % 2000
                JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM patients) p ON p.n = 1 + g % 50000
                """));
        // (Not "ANALYZE" alone: Dapper takes a command without a space for a stored procedure's name.)
        await seeding.ExecuteAsync(new CommandDefinition("ANALYZE users, patients, appointments, encounters, prescriptions, " +
            "prescription_items, orders, order_items, tasks, alerts", commandTimeout: 600));
        SeedingTime = Stopwatch.GetElapsedTime(started);

        Doctor = await seeding.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE username = 'plan_doc_7'");
        Patient = await seeding.ExecuteScalarAsync<Guid>("SELECT patient_id FROM encounters GROUP BY patient_id ORDER BY count(*) DESC, patient_id LIMIT 1");
    }

    /// <summary>
    /// Fills large tables the way a bulk load does, one table per connection side by side: the table's secondary indexes
    /// and foreign keys are dropped, the rows inserted, and the very definitions read from the catalog before are created
    /// again (ten times faster than maintaining ten indexes and checking three keys row by row). The schema ends as migrated.
    /// </summary>
    private async Task BulkLoadAsync(params (string Table, string Insert)[] loads) => await Task.WhenAll(loads.Select(async load =>
    {
        await using var connection = await Db.OpenConnectionAsync();
        var objects = (await connection.QueryAsync<(string Drop, string Create)>("""
            SELECT 'DROP INDEX ' || quote_ident(indexname), indexdef FROM pg_indexes
            WHERE schemaname = current_schema() AND tablename = @Table
              AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = @Table::regclass)
            UNION ALL
            SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', @Table, conname),
                   format('ALTER TABLE %I ADD CONSTRAINT %I %s', @Table, conname, pg_get_constraintdef(oid))
            FROM pg_constraint WHERE conrelid = @Table::regclass AND contype = 'f'
            """, new { load.Table })).ToList();
        foreach (var (drop, _) in objects)
        {
            await connection.ExecuteAsync(drop);
        }

        await connection.ExecuteAsync(new CommandDefinition(load.Insert, commandTimeout: 600));
        foreach (var (_, create) in objects)
        {
            await connection.ExecuteAsync(new CommandDefinition(create, commandTimeout: 600));
        }
    }));
}
