using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DrAssistant.Shared.Accounts;
using Npgsql;

namespace DrAssistant.Bench;

public sealed record Doctor(Guid Id, string Token);

/// <summary>Who the load plays: signed-in doctors (each reads only their own dashboard) and patients to look up.</summary>
public sealed record Workload(Doctor[] Doctors, Guid[] Patients, DateOnly FirstDay, int Days)
{
    public const string Password = "bench password 1";

    public static async Task<int> PrepareAsync(Uri api, string connectionString, int doctors, int patients, string file)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var connection = await db.OpenConnectionAsync();
        // The same rows for the API and for pgbench: numbered, so pgbench can pick one at random.
        await connection.ExecuteAsync($"""
            DROP TABLE IF EXISTS bench_doctors, bench_patients;
            CREATE TABLE bench_doctors AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM users WHERE role = 'doctor' AND status = 'active' ORDER BY id LIMIT {doctors};
            CREATE TABLE bench_patients AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM (SELECT id FROM patients ORDER BY md5(id::text) LIMIT {patients}) p;
            CREATE UNIQUE INDEX ON bench_doctors (n);
            CREATE UNIQUE INDEX ON bench_patients (n);
            ANALYZE bench_doctors, bench_patients;
            """);
        var doctorIds = (await connection.QueryAsync<Guid>("SELECT id FROM bench_doctors ORDER BY n")).ToArray();
        var patientIds = (await connection.QueryAsync<Guid>("SELECT id FROM bench_patients ORDER BY n")).ToArray();
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

        var workload = new Workload([.. signedIn], patientIds, DateOnly.FromDateTime(first), Math.Max(1, (last - first).Days));
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(workload));
        Console.WriteLine($"{{\"doctors\": {signedIn.Count}, \"patients\": {patientIds.Length}, \"firstDay\": \"{workload.FirstDay:yyyy-MM-dd}\", \"days\": {workload.Days}}}");
        return 0;
    }

    public static Workload Read(string file) => JsonSerializer.Deserialize<Workload>(File.ReadAllText(file))!;
}
