using Dapper;
using Npgsql;

namespace DrAssistant.Api.Tests;

/// <summary>Rows for a test's setup, written straight to PostgreSQL; every name is unique, so tests never collide.</summary>
public sealed class Seed(NpgsqlDataSource db)
{
    /// <summary>Every seeded user's password, so tests can sign in as anyone they create.</summary>
    public const string Password = "seeded password 1";

    private static readonly string PasswordHash = DrAssistant.Shared.Accounts.Passwords.Hash(Password);

    public async Task<Guid> UserAsync(string role = "doctor", string? fullName = null, string? specialty = null)
    {
        var name = $"u{Guid.NewGuid():N}"[..20];
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO users (username, email, full_name, role, specialty, password_hash)
            VALUES (@name, @name || '@clinic.example', @fullName, @role, @specialty, @PasswordHash)
            RETURNING id
            """, new { name, fullName = fullName ?? $"Dr. {name}", role, specialty, PasswordHash });
    }

    public Task<Guid> DoctorAsync(string? fullName = null, string? specialty = "General Medicine") => UserAsync("doctor", fullName, specialty);

    public async Task<Guid> PatientAsync(string first = "Asha", string last = "Rao", string dateOfBirth = "1980-04-02", string? mrn = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO patients (first_name, last_name, date_of_birth, gender, mrn)
            VALUES (@first, @last, @dateOfBirth::date, 'female', @mrn) RETURNING id
            """, new { first, last, dateOfBirth, mrn });
    }

    public async Task<Guid> AppointmentAsync(Guid doctor, Guid patient, DateTime startUtc, int minutes = 30, string status = "scheduled")
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO appointments (doctor_id, patient_id, start_time, end_time, status, appointment_type)
            VALUES (@doctor, @patient, @startUtc, @endUtc, @status, 'routine') RETURNING id
            """, new { doctor, patient, startUtc, endUtc = startUtc.AddMinutes(minutes), status });
    }

    public async Task<Guid> EncounterAsync(Guid doctor, Guid patient, DateTime startUtc, string complaint = "Cough")
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO encounters (doctor_id, patient_id, encounter_type, start_time, chief_complaint)
            VALUES (@doctor, @patient, 'office_visit', @startUtc, @complaint) RETURNING id
            """, new { doctor, patient, startUtc, complaint });
    }

    public async Task<Guid> PrescriptionAsync(Guid encounter, DateTime createdUtc, params string[] medications)
    {
        await using var connection = await db.OpenConnectionAsync();
        var id = await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO prescriptions (encounter_id, patient_id, doctor_id, created_at)
            SELECT id, patient_id, doctor_id, @createdUtc FROM encounters WHERE id = @encounter RETURNING id
            """, new { encounter, createdUtc });
        foreach (var medication in medications)
        {
            await connection.ExecuteAsync("""
                INSERT INTO prescription_items (prescription_id, medication_name, dosage, frequency)
                VALUES (@id, @medication, '500 mg', 'twice a day')
                """, new { id, medication });
        }

        return id;
    }

    public async Task<Guid> OrderAsync(Guid encounter, DateTime createdUtc, params string[] items)
    {
        await using var connection = await db.OpenConnectionAsync();
        var id = await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO orders (encounter_id, patient_id, doctor_id, order_type, created_at, ordered_at)
            SELECT id, patient_id, doctor_id, 'lab', @createdUtc, @createdUtc FROM encounters WHERE id = @encounter RETURNING id
            """, new { encounter, createdUtc });
        foreach (var item in items)
        {
            await connection.ExecuteAsync(
                "INSERT INTO order_items (order_id, item_code, item_name) VALUES (@id, 'CODE', @item)", new { id, item });
        }

        return id;
    }

    public async Task<Guid> TaskAsync(Guid assignedTo, string priority, DateTime? dueUtc = null, string status = "pending", string title = "Task")
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO tasks (title, assigned_to, created_by, due_date, priority, status, task_type)
            VALUES (@title, @assignedTo, @assignedTo, @dueUtc, @priority, @status, 'review') RETURNING id
            """, new { title, assignedTo, dueUtc, priority, status });
    }

    public async Task<Guid> AlertAsync(Guid user, string severity, DateTime createdUtc, bool isRead = false, Guid? patient = null, string title = "Alert")
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO alerts (user_id, patient_id, alert_type, severity, title, message, is_read, created_at)
            VALUES (@user, @patient, 'lab_result', @severity, @title, 'See the result.', @isRead, @createdUtc) RETURNING id
            """, new { user, patient, severity, title, isRead, createdUtc });
    }

    public async Task ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }
}
