using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DrAssistant.Shared.Accounts;
using Npgsql;

namespace DrAssistant.Bench;

public sealed record Doctor(Guid Id, string Token);

/// <summary>
/// Who the load plays: signed-in doctors (each reads only their own dashboard), patients to look up, and patients with a
/// long history (<see cref="LongHistory"/> encounters, each with a prescription and an order) whose timeline is read a
/// page at a time.
/// </summary>
public sealed record Workload(Doctor[] Doctors, Guid[] Patients, Guid[] LongPatients, DateOnly FirstDay, int Days)
{
    public const string Password = "bench password 1";
    public const int LongPatientCount = 20;
    public const int LongHistory = 200;
    public const int LongPageSize = 20;
    public const int LongPages = LongHistory / LongPageSize;

    public static async Task<int> PrepareAsync(Uri api, string connectionString, int doctors, int patients, string file)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var connection = await db.OpenConnectionAsync();
        // The same rows for the API and for pgbench: numbered, so pgbench can pick one at random.
        await connection.ExecuteAsync($"""
            DROP TABLE IF EXISTS bench_doctors, bench_patients;
            CREATE TABLE bench_doctors AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM users WHERE role = 'doctor' AND status = 'active' ORDER BY id LIMIT {doctors};
            CREATE UNIQUE INDEX ON bench_doctors (n);
            ANALYZE bench_doctors;
            """);
        await AddLongHistoriesAsync(connection);
        await connection.ExecuteAsync($"""
            CREATE TABLE bench_patients AS SELECT row_number() OVER (ORDER BY id) AS n, id
              FROM (SELECT id FROM patients WHERE id NOT IN (SELECT id FROM bench_long_patients) ORDER BY md5(id::text) LIMIT {patients}) p;
            CREATE UNIQUE INDEX ON bench_patients (n);
            ANALYZE bench_patients;
            """);
        var doctorIds = (await connection.QueryAsync<Guid>("SELECT id FROM bench_doctors ORDER BY n")).ToArray();
        var patientIds = (await connection.QueryAsync<Guid>("SELECT id FROM bench_patients ORDER BY n")).ToArray();
        var longPatientIds = (await connection.QueryAsync<Guid>("SELECT id FROM bench_long_patients ORDER BY n")).ToArray();
        var (first, last) = await connection.QuerySingleAsync<(DateTime, DateTime)>("SELECT min(start_time), max(start_time) FROM appointments");
        await connection.ExecuteAsync("UPDATE users SET password_hash = @hash, status = 'active' WHERE id = ANY(@doctorIds)",
            new { hash = Passwords.Hash(Password), doctorIds });

        using var http = new HttpClient { BaseAddress = api };
        var signedIn = new List<Doctor>();
        foreach (var id in doctorIds)
        {
            var username = await connection.ExecuteScalarAsync<string>("SELECT username FROM users WHERE id = @id", new { id });
            var response = await http.PostAsJsonAsync("/api/auth/login", new { username, password = Password });
            response.EnsureSuccessStatusCode();
            var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
            signedIn.Add(new Doctor(id, token));
        }

        var workload = new Workload([.. signedIn], patientIds, longPatientIds, DateOnly.FromDateTime(first), Math.Max(1, (last - first).Days));
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(workload));
        Console.WriteLine($"{{\"doctors\": {signedIn.Count}, \"patients\": {patientIds.Length}, \"longPatients\": {longPatientIds.Length}, \"firstDay\": \"{workload.FirstDay:yyyy-MM-dd}\", \"days\": {workload.Days}}}");
        return 0;
    }

    /// <summary>
    /// Patients kept out of the random sample given a long history, once per database (the generator gives each patient a
    /// few visits): encounters nine days apart, each with a signed prescription of two medications and a lab order.
    /// </summary>
    private static async Task AddLongHistoriesAsync(NpgsqlConnection connection)
    {
        if (await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('bench_long_patients') IS NOT NULL"))
        {
            return;
        }

        await connection.ExecuteAsync($"""
            CREATE TABLE bench_long_patients AS
              SELECT row_number() OVER (ORDER BY id) AS n, id
              FROM (SELECT id FROM patients ORDER BY md5(id::text) DESC LIMIT {LongPatientCount}) p;
            CREATE UNIQUE INDEX ON bench_long_patients (n);
            WITH d AS (SELECT array_agg(id) AS ids FROM bench_doctors),
            e AS (
              INSERT INTO encounters (doctor_id, patient_id, encounter_type, start_time, end_time, chief_complaint, status)
              SELECT d.ids[1 + g % array_length(d.ids, 1)], p.id, (ARRAY['office_visit', 'telemedicine', 'emergency', 'home_visit'])[1 + g % 4],
                     now() - g * interval '9 days', now() - g * interval '9 days' + interval '20 minutes', 'Follow-up visit ' || g, 'completed'
              FROM bench_long_patients p, d, generate_series(1, {LongHistory}) g
              RETURNING id, patient_id, doctor_id, start_time),
            pr AS (
              INSERT INTO prescriptions (encounter_id, patient_id, doctor_id, status, created_at, signed_at, valid_from, notes)
              SELECT id, patient_id, doctor_id, 'signed', start_time, start_time, start_time::date, 'Long history' FROM e
              RETURNING id, created_at),
            pi AS (
              INSERT INTO prescription_items (prescription_id, medication_name, dosage, frequency, duration, quantity, refills, created_at)
              SELECT pr.id, m, '500 mg', 'twice daily', '7 days', '14', 0, pr.created_at FROM pr, unnest(ARRAY['Amoxicillin', 'Paracetamol']) m),
            o AS (
              INSERT INTO orders (encounter_id, patient_id, doctor_id, order_type, status, created_at, ordered_at)
              SELECT id, patient_id, doctor_id, 'lab', 'completed', start_time, start_time FROM e
              RETURNING id, created_at)
            INSERT INTO order_items (order_id, item_code, item_name, created_at) SELECT id, '58410-2', 'Complete blood count', created_at FROM o;
            ANALYZE bench_long_patients, encounters, prescriptions, prescription_items, orders, order_items;
            """);
    }

    public static Workload Read(string file) => JsonSerializer.Deserialize<Workload>(File.ReadAllText(file))!;
}
