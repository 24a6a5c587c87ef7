using DrAssistant.Testing;
using Npgsql;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>
/// A fresh database, migrated, has exactly what ../shared/spec/postgres-schema.md lists, read back from pg_catalog.
/// The expected columns are written out below in the spec's own terms.
/// </summary>
public sealed class SchemaSpecTests : IAsyncLifetime
{
    private const string Uuid = "gen_random_uuid()";

    // "name type [!] [= default]": '!' is NOT NULL. Types in the spec's shorthand (varchar(n), timestamptz).
    private static readonly Dictionary<string, string[]> SpecColumns = new()
    {
        ["users"] =
        [
            "id uuid ! = gen_random_uuid()", "username varchar(50) !", "email varchar(100) !", "full_name varchar(100) !",
            "role varchar(20) !", "specialty varchar(50)", "phone varchar(20)", "profile_image_url varchar(255)",
            "password_hash varchar(255) !", "created_at timestamptz ! = now()", "updated_at timestamptz ! = now()",
            "last_login_at timestamptz", "status varchar(20) ! = 'active'::character varying", "preferences jsonb",
        ],
        ["patients"] =
        [
            "id uuid ! = gen_random_uuid()", "mrn varchar(50)", "abha_id varchar(50)", "first_name varchar(50) !",
            "last_name varchar(50) !", "date_of_birth date !", "gender varchar(10) !", "phone varchar(20)", "email varchar(100)",
            "address jsonb", "emergency_contact jsonb", "blood_group varchar(5)", "allergies text[]",
            "created_at timestamptz ! = now()", "updated_at timestamptz ! = now()", "status varchar(20) ! = 'active'::character varying",
        ],
        ["appointments"] =
        [
            "id uuid ! = gen_random_uuid()", "doctor_id uuid !", "patient_id uuid !", "start_time timestamptz !",
            "end_time timestamptz !", "status varchar(20) ! = 'scheduled'::character varying", "appointment_type varchar(20) !",
            "reason varchar(255)", "notes text", "created_at timestamptz ! = now()", "updated_at timestamptz ! = now()",
            "created_by uuid", "check_in_time timestamptz", "check_out_time timestamptz",
        ],
        ["encounters"] =
        [
            "id uuid ! = gen_random_uuid()", "appointment_id uuid", "doctor_id uuid !", "patient_id uuid !",
            "encounter_type varchar(20) !", "start_time timestamptz !", "end_time timestamptz", "chief_complaint text",
            "status varchar(20) ! = 'in_progress'::character varying", "created_at timestamptz ! = now()", "updated_at timestamptz ! = now()",
        ],
        ["prescriptions"] =
        [
            "id uuid ! = gen_random_uuid()", "encounter_id uuid !", "patient_id uuid !", "doctor_id uuid !",
            "status varchar(20) ! = 'draft'::character varying", "created_at timestamptz ! = now()", "updated_at timestamptz ! = now()",
            "signed_at timestamptz", "valid_from date ! = CURRENT_DATE", "valid_until date", "pharmacy_id uuid", "notes text",
        ],
        ["prescription_items"] =
        [
            "id uuid ! = gen_random_uuid()", "prescription_id uuid !", "medication_name varchar(100) !", "dosage varchar(50) !",
            "frequency varchar(50) !", "duration varchar(50)", "quantity varchar(50)", "refills integer = 0", "instructions text",
            "created_at timestamptz ! = now()", "updated_at timestamptz ! = now()",
        ],
        ["orders"] =
        [
            "id uuid ! = gen_random_uuid()", "encounter_id uuid !", "patient_id uuid !", "doctor_id uuid !", "order_type varchar(20) !",
            "status varchar(20) ! = 'ordered'::character varying", "created_at timestamptz ! = now()", "updated_at timestamptz ! = now()",
            "ordered_at timestamptz", "completed_at timestamptz", "provider_id uuid", "notes text",
        ],
        ["order_items"] =
        [
            "id uuid ! = gen_random_uuid()", "order_id uuid !", "item_code varchar(50) !", "item_name varchar(100) !", "instructions text",
            "created_at timestamptz ! = now()", "updated_at timestamptz ! = now()",
        ],
        ["tasks"] =
        [
            "id uuid ! = gen_random_uuid()", "title varchar(100) !", "description text", "assigned_to uuid", "created_by uuid !",
            "patient_id uuid", "encounter_id uuid", "due_date timestamptz", "priority varchar(10) ! = 'medium'::character varying",
            "status varchar(20) ! = 'pending'::character varying", "task_type varchar(20) !", "created_at timestamptz ! = now()",
            "updated_at timestamptz ! = now()", "completed_at timestamptz",
        ],
        ["alerts"] =
        [
            "id uuid ! = gen_random_uuid()", "user_id uuid !", "patient_id uuid", "alert_type varchar(20) !", "severity varchar(10) !",
            "title varchar(100) !", "message text !", "is_read boolean ! = false", "created_at timestamptz ! = now()",
            "read_at timestamptz", "source varchar(50)", "source_id uuid", "action_url varchar(255)",
            // Version 4.
            "created_by uuid",
        ],
    };

    // CHECK name -> the values (or condition) its definition must contain.
    private static readonly (string Table, string Name, string[] Mentions)[] SpecChecks =
    [
        ("users", "valid_role", ["'doctor'", "'nurse'", "'admin'", "'receptionist'"]),
        ("patients", "valid_gender", ["'male'", "'female'", "'other'"]),
        ("appointments", "valid_time_range", ["end_time > start_time"]),
        ("appointments", "valid_status", ["'scheduled'", "'confirmed'", "'checked_in'", "'in_progress'", "'completed'", "'cancelled'", "'no_show'"]),
        ("appointments", "valid_type", ["'in_person'", "'telemedicine'", "'follow_up'", "'urgent'", "'routine'"]),
        ("encounters", "valid_type", ["'office_visit'", "'telemedicine'", "'emergency'", "'home_visit'"]),
        ("encounters", "valid_time_range", ["end_time IS NULL", "end_time > start_time"]),
        ("encounters", "valid_status", ["'in_progress'", "'completed'", "'cancelled'"]),
        ("prescriptions", "valid_status", ["'draft'", "'signed'", "'sent'", "'dispensed'", "'cancelled'"]),
        ("prescriptions", "valid_date_range", ["valid_until IS NULL", "valid_until >= valid_from"]),
        ("orders", "valid_type", ["'lab'", "'imaging'", "'procedure'", "'referral'"]),
        ("orders", "valid_status", ["'draft'", "'ordered'", "'in_progress'", "'completed'", "'cancelled'"]),
        ("tasks", "valid_priority", ["'low'", "'medium'", "'high'", "'urgent'"]),
        ("tasks", "valid_status", ["'pending'", "'in_progress'", "'completed'", "'cancelled'"]),
        ("tasks", "valid_type", ["'documentation'", "'review'", "'follow_up'", "'referral'", "'order'", "'other'"]),
        ("alerts", "valid_type", ["'lab_result'", "'medication'", "'appointment'", "'task'", "'system'", "'other'"]),
        ("alerts", "valid_severity", ["'low'", "'medium'", "'high'", "'critical'"]),
    ];

    // table.column -> referenced table, and whether deleting the parent cascades.
    private static readonly (string Table, string Column, string References, bool Cascade)[] SpecForeignKeys =
    [
        ("appointments", "doctor_id", "users", false), ("appointments", "patient_id", "patients", false),
        ("appointments", "created_by", "users", false),
        ("encounters", "appointment_id", "appointments", false), ("encounters", "doctor_id", "users", false),
        ("encounters", "patient_id", "patients", false),
        ("prescriptions", "encounter_id", "encounters", false), ("prescriptions", "patient_id", "patients", false),
        ("prescriptions", "doctor_id", "users", false), ("prescription_items", "prescription_id", "prescriptions", true),
        ("orders", "encounter_id", "encounters", false), ("orders", "patient_id", "patients", false),
        ("orders", "doctor_id", "users", false), ("order_items", "order_id", "orders", true),
        ("tasks", "assigned_to", "users", false), ("tasks", "created_by", "users", false),
        ("tasks", "patient_id", "patients", false), ("tasks", "encounter_id", "encounters", false),
        ("alerts", "user_id", "users", false), ("alerts", "patient_id", "patients", false),
        ("alerts", "created_by", "users", false),
    ];

    // index name -> the key part of its definition (what follows USING btree), partial predicate included.
    private static readonly Dictionary<string, string> SpecIndexes = new()
    {
        ["idx_users_role"] = "(role)", ["idx_users_specialty"] = "(specialty) WHERE (specialty IS NOT NULL)", ["idx_users_status"] = "(status)",
        ["idx_patients_name"] = "(last_name, first_name)", ["idx_patients_dob"] = "(date_of_birth)", ["idx_patients_status"] = "(status)",
        ["idx_appointments_doctor"] = "(doctor_id)", ["idx_appointments_patient"] = "(patient_id)",
        ["idx_appointments_time"] = "(start_time, end_time)", ["idx_appointments_status"] = "(status)",
        ["idx_appointments_type"] = "(appointment_type)", ["idx_appointments_doctor_day"] = "(doctor_id, start_time)",
        ["idx_encounters_doctor"] = "(doctor_id)", ["idx_encounters_patient"] = "(patient_id)",
        ["idx_encounters_appointment"] = "(appointment_id)", ["idx_encounters_time"] = "(start_time)",
        ["idx_encounters_status"] = "(status)", ["idx_encounters_type"] = "(encounter_type)",
        ["idx_encounters_patient_time"] = "(patient_id, start_time DESC)",
        ["idx_prescriptions_encounter"] = "(encounter_id)", ["idx_prescriptions_patient"] = "(patient_id)",
        ["idx_prescriptions_doctor"] = "(doctor_id)", ["idx_prescriptions_status"] = "(status)",
        ["idx_prescriptions_valid_from"] = "(valid_from)", ["idx_prescription_items_prescription"] = "(prescription_id)",
        ["idx_orders_encounter"] = "(encounter_id)", ["idx_orders_patient"] = "(patient_id)", ["idx_orders_doctor"] = "(doctor_id)",
        ["idx_orders_status"] = "(status)", ["idx_orders_type"] = "(order_type)", ["idx_order_items_order"] = "(order_id)",
        ["idx_tasks_assigned_to"] = "(assigned_to)", ["idx_tasks_created_by"] = "(created_by)",
        ["idx_tasks_patient"] = "(patient_id) WHERE (patient_id IS NOT NULL)",
        ["idx_tasks_encounter"] = "(encounter_id) WHERE (encounter_id IS NOT NULL)", ["idx_tasks_status"] = "(status)",
        ["idx_tasks_due_date"] = "(due_date) WHERE (due_date IS NOT NULL)", ["idx_tasks_priority"] = "(priority)",
        ["idx_tasks_type"] = "(task_type)",
        ["idx_alerts_user"] = "(user_id)", ["idx_alerts_patient"] = "(patient_id) WHERE (patient_id IS NOT NULL)",
        ["idx_alerts_read"] = "(is_read)", ["idx_alerts_created"] = "(created_at)", ["idx_alerts_severity"] = "(severity)",
        ["idx_alerts_type"] = "(alert_type)",
    };

    private static readonly string[] UniqueColumns = ["users.username", "users.email", "patients.mrn", "patients.abha_id"];

    // Version 4: indexes that are not plain btree column lists (name -> what follows ON public.table).
    private static readonly Dictionary<string, string> Version4Indexes = new()
    {
        ["idx_users_username_ci"] = "users USING btree (lower((username)::text))",
        ["idx_users_email_ci"] = "users USING btree (lower((email)::text))",
        // The exclusion constraint's own index.
        ["no_overlapping_appointments"] = "appointments USING gist (doctor_id, tstzrange(start_time, end_time, '[)'::text)) " +
                                          "WHERE ((status)::text <> ALL ((ARRAY['cancelled'::character varying, 'no_show'::character varying])::text[]))",
    };

    // Version 5: the doctor's open tasks and unread alerts, partial, in the dashboard's order (name -> what follows
    // ON public., whitespace folded). The rank expressions are the queries' own (Vocabulary.TaskPriorityRank and
    // AlertSeverityRank); tests/DrAssistant.Api.Tests QueryPlanTests prove the queries read them without a sort.
    private static readonly Dictionary<string, string> Version5Indexes = new()
    {
        ["idx_tasks_assignee_pending"] = "tasks USING btree (assigned_to, ( CASE priority WHEN 'urgent'::text THEN 4 WHEN 'high'::text THEN 3 " +
                                         "WHEN 'medium'::text THEN 2 WHEN 'low'::text THEN 1 ELSE 0 END) DESC, due_date, created_at, id) " +
                                         "WHERE ((status)::text = 'pending'::text)",
        ["idx_alerts_user_unread"] = "alerts USING btree (user_id, ( CASE severity WHEN 'critical'::text THEN 4 WHEN 'high'::text THEN 3 " +
                                     "WHEN 'medium'::text THEN 2 WHEN 'low'::text THEN 1 ELSE 0 END) DESC, created_at DESC, id) " +
                                     "WHERE (NOT is_read)",
    };

    private TestDatabase _database = null!;
    private NpgsqlConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var result = await Migrator.RunAsync(_database.ConnectionString, "migrate");
        Assert.Equal(0, result.ExitCode);
        _connection = new NpgsqlConnection(_database.ConnectionString);
        await _connection.OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task EverySpecTableExistsWithExactlyItsColumnsTypesNullabilityAndDefaults()
    {
        var columns = await Catalog.ColumnsAsync(_connection);

        foreach (var (table, spec) in SpecColumns)
        {
            var actual = columns.Where(c => c.Table == table).Select(Describe).ToList();
            Assert.Equal(spec.Select(Normalise).ToList(), actual);
        }

        var tables = columns.Select(c => c.Table).Distinct().Order().ToList();
        Assert.Equal([.. SpecColumns.Keys.Concat(["schema_checksums", "schema_history", "schema_version"]).Order()], tables);
    }

    [Fact]
    public async Task EveryTableAndEveryColumnOfTheSpecHasAComment()
    {
        var columns = await Catalog.ColumnsAsync(_connection);
        var tableComments = await Catalog.TableCommentsAsync(_connection);

        Assert.All(Catalog.SpecTables, t => Assert.False(string.IsNullOrWhiteSpace(tableComments[t]), $"table {t} has no comment"));
        Assert.All(columns.Where(c => Catalog.SpecTables.Contains(c.Table)),
            c => Assert.False(string.IsNullOrWhiteSpace(c.Comment), $"column {c.Table}.{c.Name} has no comment"));
    }

    [Fact]
    public async Task EveryCheckConstraintHasItsSpecNameAndRule()
    {
        var checks = (await Catalog.ConstraintsAsync(_connection)).Where(c => c.Type == 'c').ToList();

        Assert.Equal(SpecChecks.Length, checks.Count);
        foreach (var (table, name, mentions) in SpecChecks)
        {
            var check = Assert.Single(checks, c => c.Table == table && c.Name == name);
            Assert.All(mentions, m => Assert.Contains(m, check.Definition, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task ForeignKeysReferenceTheirTablesAndOnlyItemsCascade()
    {
        var foreignKeys = (await Catalog.ConstraintsAsync(_connection)).Where(c => c.Type == 'f').ToList();

        Assert.Equal(SpecForeignKeys.Length, foreignKeys.Count);
        foreach (var (table, column, references, cascade) in SpecForeignKeys)
        {
            var key = Assert.Single(foreignKeys, k => k.Table == table && k.Definition.StartsWith($"FOREIGN KEY ({column})", StringComparison.Ordinal));
            Assert.Contains($"REFERENCES {references}(id)", key.Definition, StringComparison.Ordinal);
            Assert.Equal(cascade, key.Definition.Contains("ON DELETE CASCADE", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task PrimaryAndUniqueKeysAreConstraintsWithNoDuplicateIndexes()
    {
        var constraints = await Catalog.ConstraintsAsync(_connection);
        var indexes = await Catalog.IndexesAsync(_connection);

        Assert.All(Catalog.SpecTables, t => Assert.Contains(constraints, c => c.Table == t && c.Type == 'p' && c.Definition == "PRIMARY KEY (id)"));
        foreach (var unique in UniqueColumns)
        {
            var (table, column) = (unique.Split('.')[0], unique.Split('.')[1]);
            Assert.Contains(constraints, c => c.Table == table && c.Type == 'u' && c.Definition == $"UNIQUE ({column})");
            // Only the constraint's own index covers the column alone.
            Assert.Single(indexes, i => i.Table == table && i.Definition.EndsWith($"({column})", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task EveryIndexOfTheSpecExistsWithItsColumnsOrderAndPredicate()
    {
        var indexes = (await Catalog.IndexesAsync(_connection)).Where(i => Catalog.SpecTables.Contains(i.Table)).ToList();

        foreach (var (name, keys) in SpecIndexes)
        {
            var index = Assert.Single(indexes, i => i.Name == name);
            Assert.EndsWith($"USING btree {keys}", index.Definition, StringComparison.Ordinal);
        }

        foreach (var (name, definition) in Version4Indexes)
        {
            var index = Assert.Single(indexes, i => i.Name == name);
            Assert.EndsWith($"ON public.{definition}", index.Definition, StringComparison.Ordinal);
        }

        foreach (var (name, definition) in Version5Indexes)
        {
            var index = Assert.Single(indexes, i => i.Name == name);
            Assert.Equal($"CREATE INDEX {name} ON public.{definition}", FoldWhitespace(index.Definition));
        }

        Assert.StartsWith("CREATE UNIQUE INDEX", indexes.Single(i => i.Name == "idx_users_username_ci").Definition, StringComparison.Ordinal);
        Assert.StartsWith("CREATE UNIQUE INDEX", indexes.Single(i => i.Name == "idx_users_email_ci").Definition, StringComparison.Ordinal);

        // Nothing beyond the spec's indexes, the primary keys and the unique constraints.
        var expected = SpecIndexes.Keys
            .Concat(Version4Indexes.Keys)
            .Concat(Version5Indexes.Keys)
            .Concat(Catalog.SpecTables.Select(t => $"{t}_pkey"))
            .Concat(UniqueColumns.Select(u => u.Replace('.', '_') + "_key"))
            .Order();
        Assert.Equal(expected, indexes.Select(i => i.Name).Order());
    }

    [Fact]
    public async Task EveryTableWithUpdatedAtHasItsTriggerOnTheSharedFunctionAndAlertsHasNone()
    {
        var triggers = await Catalog.TriggersAsync(_connection);
        var withUpdatedAt = SpecColumns.Where(t => t.Value.Any(c => c.StartsWith("updated_at ", StringComparison.Ordinal))).Select(t => t.Key).ToList();

        Assert.Equal(9, withUpdatedAt.Count);
        Assert.Equal(withUpdatedAt.Order(), triggers.Select(t => t.Table).Order());
        foreach (var table in withUpdatedAt)
        {
            var trigger = Assert.Single(triggers, t => t.Table == table);
            Assert.Equal($"update_{table}_timestamp", trigger.Name);
            Assert.Contains("BEFORE UPDATE", trigger.Definition, StringComparison.Ordinal);
            Assert.Contains("FOR EACH ROW EXECUTE FUNCTION update_timestamp()", trigger.Definition, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AppointmentsHaveTheExclusionConstraintOverBtreeGistAndAlertsRecordWhoRaisedThem()
    {
        var constraints = await Catalog.ConstraintsAsync(_connection);
        var columns = await Catalog.ColumnsAsync(_connection);
        var extensions = (await Dapper.SqlMapper.QueryAsync<string>(_connection, "SELECT extname FROM pg_extension")).ToList();

        var exclusion = Assert.Single(constraints, c => c.Type == 'x');
        Assert.Equal(("appointments", "no_overlapping_appointments"), (exclusion.Table, exclusion.Name));
        Assert.Equal("EXCLUDE USING gist (doctor_id WITH =, tstzrange(start_time, end_time, '[)'::text) WITH &&) " +
                     "WHERE (((status)::text <> ALL ((ARRAY['cancelled'::character varying, 'no_show'::character varying])::text[])))",
            exclusion.Definition);
        Assert.Contains("btree_gist", extensions);
        var createdBy = Assert.Single(columns, c => c.Table == "alerts" && c.Name == "created_by");
        Assert.Contains("NULL when the system", createdBy.Comment, StringComparison.Ordinal);
        Assert.Contains(constraints, c => c.Name == "fk_alerts_created_by" && c.Definition == "FOREIGN KEY (created_by) REFERENCES users(id)");
    }

    private static string FoldWhitespace(string text) => string.Join(' ', text.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries));

    private static string Describe(Catalog.Column column) =>
        $"{column.Name} {column.Type}{(column.NotNull ? " !" : "")}{(column.Default is null ? "" : $" = {column.Default}")}";

    private static string Normalise(string spec) => spec
        .Replace("varchar(", "character varying(", StringComparison.Ordinal)
        .Replace("timestamptz", "timestamp with time zone", StringComparison.Ordinal);
}
