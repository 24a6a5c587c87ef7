using Dapper;
using DrAssistant.Testing;
using Npgsql;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>The database itself refuses bad rows, cascades item deletes and keeps updated_at current.</summary>
public sealed class ConstraintBehaviourTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private NpgsqlConnection _db = null!;

    public async Task InitializeAsync()
    {
        _database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        Assert.Equal(0, (await Migrator.RunAsync(_database.ConnectionString, "migrate")).ExitCode);
        _db = new NpgsqlConnection(_database.ConnectionString);
        await _db.OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task AUserWithAnUnknownRoleIsRefusedByValidRole()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertUserAsync(role: "surgeon"));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal("valid_role", error.ConstraintName);
    }

    [Fact]
    public async Task AnAppointmentEndingBeforeItStartsIsRefusedByValidTimeRange()
    {
        var (doctor, patient) = (await InsertUserAsync(), await InsertPatientAsync());

        var error = await Assert.ThrowsAsync<PostgresException>(() => _db.ExecuteAsync("""
            INSERT INTO appointments (doctor_id, patient_id, start_time, end_time, appointment_type)
            VALUES (@doctor, @patient, '2026-11-25 10:00Z', '2026-11-25 09:30Z', 'routine')
            """, new { doctor, patient }));

        Assert.Equal("valid_time_range", error.ConstraintName);
    }

    [Fact]
    public async Task AnOpenEncounterHasNoEndButAnEndBeforeTheStartIsRefused()
    {
        var (doctor, patient) = (await InsertUserAsync(), await InsertPatientAsync());

        await InsertEncounterAsync(doctor, patient, end: null);
        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertEncounterAsync(doctor, patient, end: "2026-11-25 06:59Z"));

        Assert.Equal("valid_time_range", error.ConstraintName);
    }

    [Fact]
    public async Task APrescriptionValidUntilBeforeValidFromIsRefusedByValidDateRange()
    {
        var (doctor, patient) = (await InsertUserAsync(), await InsertPatientAsync());
        var encounter = await InsertEncounterAsync(doctor, patient, end: null);

        var error = await Assert.ThrowsAsync<PostgresException>(() => _db.ExecuteAsync("""
            INSERT INTO prescriptions (encounter_id, patient_id, doctor_id, valid_from, valid_until)
            VALUES (@encounter, @patient, @doctor, '2026-12-01', '2026-11-30')
            """, new { encounter, patient, doctor }));

        Assert.Equal("valid_date_range", error.ConstraintName);
    }

    [Theory]
    [InlineData("tasks", "priority", "critical", "valid_priority")]
    [InlineData("alerts", "severity", "urgent", "valid_severity")]
    [InlineData("patients", "gender", "unknown", "valid_gender")]
    public async Task AWordOutsideItsEnumerationIsRefused(string table, string column, string value, string constraint)
    {
        var (user, patient) = (await InsertUserAsync(), await InsertPatientAsync());
        var sql = table switch
        {
            "tasks" => $"INSERT INTO tasks (title, created_by, task_type, {column}) VALUES ('t', @user, 'review', @value)",
            "alerts" => $"INSERT INTO alerts (user_id, alert_type, title, message, {column}) VALUES (@user, 'system', 't', 'm', @value)",
            _ => $"UPDATE patients SET {column} = @value WHERE id = @patient",
        };

        var error = await Assert.ThrowsAsync<PostgresException>(() => _db.ExecuteAsync(sql, new { user, patient, value }));

        Assert.Equal(constraint, error.ConstraintName);
    }

    [Fact]
    public async Task DeletingAPrescriptionDeletesItsItemsAndDeletingAnOrderDeletesItsItems()
    {
        var (doctor, patient) = (await InsertUserAsync(), await InsertPatientAsync());
        var encounter = await InsertEncounterAsync(doctor, patient, end: null);
        var prescription = await _db.ExecuteScalarAsync<Guid>(
            "INSERT INTO prescriptions (encounter_id, patient_id, doctor_id) VALUES (@encounter, @patient, @doctor) RETURNING id",
            new { encounter, patient, doctor });
        await _db.ExecuteAsync("""
            INSERT INTO prescription_items (prescription_id, medication_name, dosage, frequency)
            VALUES (@prescription, 'Amoxicillin', '500 mg', 'three times a day'), (@prescription, 'Paracetamol', '650 mg', 'as needed')
            """, new { prescription });
        var order = await _db.ExecuteScalarAsync<Guid>(
            "INSERT INTO orders (encounter_id, patient_id, doctor_id, order_type) VALUES (@encounter, @patient, @doctor, 'lab') RETURNING id",
            new { encounter, patient, doctor });
        await _db.ExecuteAsync("INSERT INTO order_items (order_id, item_code, item_name) VALUES (@order, '2345-7', 'Glucose')", new { order });

        await _db.ExecuteAsync("DELETE FROM prescriptions WHERE id = @prescription", new { prescription });
        await _db.ExecuteAsync("DELETE FROM orders WHERE id = @order", new { order });

        Assert.Equal(0, await _db.ExecuteScalarAsync<int>("SELECT count(*) FROM prescription_items WHERE prescription_id = @prescription", new { prescription }));
        Assert.Equal(0, await _db.ExecuteScalarAsync<int>("SELECT count(*) FROM order_items WHERE order_id = @order", new { order }));
    }

    [Fact]
    public async Task APatientWithEncountersCannotBeDeletedBecauseOtherReferencesDoNotCascade()
    {
        var (doctor, patient) = (await InsertUserAsync(), await InsertPatientAsync());
        await InsertEncounterAsync(doctor, patient, end: null);

        var error = await Assert.ThrowsAsync<PostgresException>(() => _db.ExecuteAsync("DELETE FROM patients WHERE id = @patient", new { patient }));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, error.SqlState);
    }

    [Fact]
    public async Task UpdatingARowMovesItsUpdatedAtButNotItsCreatedAt()
    {
        // Written a day back (an INSERT does not fire the update trigger), so the update need not wait for the clock to move.
        var user = await _db.ExecuteScalarAsync<Guid>("""
            INSERT INTO users (username, email, full_name, role, password_hash, created_at, updated_at)
            VALUES (@name, @name || '@clinic.example', 'Dr. Test', 'doctor', 'x', now() - interval '1 day', now() - interval '1 day')
            RETURNING id
            """, new { name = $"u{Guid.NewGuid():N}" });
        var before = await _db.QuerySingleAsync<(DateTime Created, DateTime Updated)>(
            "SELECT created_at, updated_at FROM users WHERE id = @user", new { user });

        // now() is the transaction's start: the trigger must have written exactly the updating transaction's now().
        DateTime updatedBy;
        await using (var transaction = await _db.BeginTransactionAsync())
        {
            await _db.ExecuteAsync("UPDATE users SET phone = '+91 98765 43210' WHERE id = @user", new { user }, transaction);
            updatedBy = await _db.ExecuteScalarAsync<DateTime>("SELECT now()", transaction: transaction);
            await transaction.CommitAsync();
        }

        var after = await _db.QuerySingleAsync<(DateTime Created, DateTime Updated)>(
            "SELECT created_at, updated_at FROM users WHERE id = @user", new { user });

        Assert.Equal(updatedBy, after.Updated);
        Assert.Equal(before.Created, after.Created);
        Assert.True(after.Updated > before.Updated, $"updated_at stayed at {after.Updated:O}");
    }

    [Fact]
    public async Task ALocalTimeIsStoredAsTheAbsoluteInstantOfTheSessionsTimeZone()
    {
        var (doctor, patient) = (await InsertUserAsync(), await InsertPatientAsync());
        await _db.ExecuteAsync("SET TIME ZONE 'Asia/Kolkata'");
        var encounter = await _db.ExecuteScalarAsync<Guid>("""
            INSERT INTO encounters (doctor_id, patient_id, encounter_type, start_time)
            VALUES (@doctor, @patient, 'office_visit', '2026-11-25 12:30') RETURNING id
            """, new { doctor, patient });
        await _db.ExecuteAsync("SET TIME ZONE 'America/New_York'");

        var start = await _db.ExecuteScalarAsync<DateTime>("SELECT start_time FROM encounters WHERE id = @encounter", new { encounter });

        // 12:30 in India is 07:00 UTC; a zone-less timestamp would have kept "12:30".
        Assert.Equal(DateTimeKind.Utc, start.Kind);
        Assert.Equal(new DateTime(2026, 11, 25, 7, 0, 0, DateTimeKind.Utc), start);
    }

    [Fact]
    public async Task ADoctorInTwoLiveAppointmentsAtOnceIsRefusedByNoOverlappingAppointments()
    {
        var (doctor, patient) = (await InsertUserAsync(), await InsertPatientAsync());
        await InsertAppointmentAsync(doctor, patient, "09:00", "09:30");

        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertAppointmentAsync(doctor, patient, "09:15", "09:45"));

        Assert.Equal(PostgresErrorCodes.ExclusionViolation, error.SqlState);
        Assert.Equal("no_overlapping_appointments", error.ConstraintName);
    }

    [Fact]
    public async Task BackToBackSlotsAnotherDoctorAndCancelledOrNoShowAppointmentsDoNotOverlap()
    {
        var (doctor, other, patient) = (await InsertUserAsync(), await InsertUserAsync(), await InsertPatientAsync());
        await InsertAppointmentAsync(doctor, patient, "09:00", "09:30");

        await InsertAppointmentAsync(doctor, patient, "09:30", "10:00");
        await InsertAppointmentAsync(other, patient, "09:00", "09:30");
        await InsertAppointmentAsync(doctor, patient, "09:10", "09:20", status: "cancelled");
        await InsertAppointmentAsync(doctor, patient, "09:05", "09:25", status: "no_show");
        var cancelled = await InsertAppointmentAsync(doctor, patient, "08:00", "08:30");
        await _db.ExecuteAsync("UPDATE appointments SET status = 'cancelled' WHERE id = @cancelled", new { cancelled });
        await InsertAppointmentAsync(doctor, patient, "08:00", "08:30");

        // Reviving a cancelled appointment into a taken slot is refused as well.
        var revive = await Assert.ThrowsAsync<PostgresException>(() =>
            _db.ExecuteAsync("UPDATE appointments SET status = 'scheduled' WHERE id = @cancelled", new { cancelled }));
        Assert.Equal("no_overlapping_appointments", revive.ConstraintName);
    }

    [Theory]
    [InlineData("username")]
    [InlineData("email")]
    public async Task LoginsAndEmailsThatDifferOnlyByCaseAreOne(string column)
    {
        var name = $"Dr.Rao.{Guid.NewGuid():N}"[..24];
        await _db.ExecuteAsync(
            "INSERT INTO users (username, email, full_name, role, password_hash) VALUES (@name, @name || '@Clinic.example', 'Dr. Rao', 'doctor', 'x')",
            new { name });
        var (username, email) = column == "username"
            ? (name.ToLowerInvariant(), $"{Guid.NewGuid():N}@clinic.example")
            : ($"u{Guid.NewGuid():N}", $"{name}@clinic.example".ToUpperInvariant());

        var error = await Assert.ThrowsAsync<PostgresException>(() => _db.ExecuteAsync(
            "INSERT INTO users (username, email, full_name, role, password_hash) VALUES (@username, @email, 'Dr. Rao', 'doctor', 'x')",
            new { username, email }));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal($"idx_users_{column}_ci", error.ConstraintName);
    }

    private Task<Guid> InsertAppointmentAsync(Guid doctor, Guid patient, string from, string to, string status = "scheduled") =>
        _db.ExecuteScalarAsync<Guid>("""
            INSERT INTO appointments (doctor_id, patient_id, start_time, end_time, status, appointment_type)
            VALUES (@doctor, @patient, ('2026-11-25 ' || @from || 'Z')::timestamptz, ('2026-11-25 ' || @to || 'Z')::timestamptz, @status, 'routine')
            RETURNING id
            """, new { doctor, patient, from, to, status });

    private Task<Guid> InsertUserAsync(string role = "doctor") =>
        _db.ExecuteScalarAsync<Guid>("""
            INSERT INTO users (username, email, full_name, role, password_hash)
            VALUES (@name, @name || '@clinic.example', 'Dr. Test', @role, 'x') RETURNING id
            """, new { name = $"u{Guid.NewGuid():N}", role });

    private Task<Guid> InsertPatientAsync() =>
        _db.ExecuteScalarAsync<Guid>(
            "INSERT INTO patients (first_name, last_name, date_of_birth, gender) VALUES ('Asha', 'Rao', '1980-04-02', 'female') RETURNING id");

    private Task<Guid> InsertEncounterAsync(Guid doctor, Guid patient, string? end) =>
        _db.ExecuteScalarAsync<Guid>("""
            INSERT INTO encounters (doctor_id, patient_id, encounter_type, start_time, end_time)
            VALUES (@doctor, @patient, 'office_visit', '2026-11-25 07:00Z', @end::timestamptz) RETURNING id
            """, new { doctor, patient, end });
}
