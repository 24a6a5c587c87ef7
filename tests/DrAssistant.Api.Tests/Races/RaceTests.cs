using System.Net;
using Dapper;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Races;

/// <summary>
/// Rules that must hold when requests arrive at the same instant (released together by <see cref="Together"/>),
/// repeated until the code without the constraint or the lock fails reliably. On the code before schema version 4
/// and the row locks (commit 'cdd32c2'), these failed: see each test's comment for what was seen.
/// </summary>
public sealed class RaceTests(ApiFactory api, ITestOutputHelper output) : IClassFixture<ApiFactory>
{
    private static readonly DateTime Day = new(2027, 2, 1, 3, 30, 0, DateTimeKind.Utc);

    /// <summary>
    /// Before: the slot check and the insert were one INSERT … WHERE NOT EXISTS under read committed, where no
    /// booking sees another's uncommitted row: several of the 20 rounds created 2 to 16 appointments.
    /// Now the exclusion constraint no_overlapping_appointments refuses all but one (23P01 → 409).
    /// </summary>
    [Fact]
    public async Task SixteenBookingsOfOneSlotReleasedTogetherCreateExactlyOneAppointmentEveryRound()
    {
        const int rounds = 20, bookings = 16;
        var (_, client) = await api.NewClientAsync("receptionist");
        var doctor = await api.Seed.DoctorAsync();
        var patients = new Guid[bookings];
        for (var i = 0; i < bookings; i++)
        {
            patients[i] = await api.Seed.PatientAsync();
        }

        var badRounds = 0;
        for (var round = 0; round < rounds; round++)
        {
            var start = Day.AddHours(round);
            var statuses = await Together.RunAsync(bookings, i => StatusAsync(client.PostJsonAsync("/api/appointments", Booking(doctor, patients[i], start))));
            var created = statuses.Count(s => s == HttpStatusCode.Created);
            output.WriteLine($"round {round + 1}: {Describe(statuses)}");
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.Conflict, $"unexpected {(int)s}"));
            badRounds += created == 1 ? 0 : 1;
        }

        var (live, overlapping) = await LiveAndOverlappingAsync(doctor);
        output.WriteLine($"{rounds} rounds of {bookings} bookings: {badRounds} rounds without exactly one 201; {live} live appointments, {overlapping} overlapping pairs");
        Assert.Equal(0, badRounds);
        Assert.Equal(rounds, live);
        Assert.Equal(0, overlapping);
    }

    /// <summary>
    /// Before: the reschedule's UPDATE … WHERE NOT EXISTS and the bookings' INSERT … WHERE NOT EXISTS each missed the
    /// others' uncommitted rows, so the slot ended up with two or more live appointments.
    /// </summary>
    [Fact]
    public async Task ReschedulesAndBookingsRacingOntoOneSlotLeaveExactlyOneAppointmentThere()
    {
        const int trials = 20, each = 4;
        var (_, client) = await api.NewClientAsync("receptionist");
        var doctor = await api.Seed.DoctorAsync();
        var patient = await api.Seed.PatientAsync();

        var badTrials = 0;
        for (var trial = 0; trial < trials; trial++)
        {
            var day = Day.AddDays(1 + trial);
            var target = day.AddHours(6);
            var appointments = new Guid[each];
            for (var i = 0; i < each; i++)
            {
                appointments[i] = await api.Seed.AppointmentAsync(doctor, patient, day.AddHours(i), minutes: 20);
            }

            var statuses = await Together.RunAsync(2 * each, i => StatusAsync(i < each
                ? client.PutJsonAsync($"/api/appointments/{appointments[i]}", Booking(doctor, patient, target))
                : client.PostJsonAsync("/api/appointments", Booking(doctor, patient, target.AddMinutes(5)))));
            var succeeded = statuses.Count(s => s is HttpStatusCode.OK or HttpStatusCode.Created);
            output.WriteLine($"trial {trial + 1}: reschedules {Describe(statuses[..each])}; bookings {Describe(statuses[each..])}");
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Conflict, $"unexpected {(int)s}"));
            badTrials += succeeded == 1 ? 0 : 1;
        }

        var (_, overlapping) = await LiveAndOverlappingAsync(doctor);
        output.WriteLine($"{trials} trials of {each} reschedules and {each} bookings onto one slot: {badTrials} trials without exactly one success; {overlapping} overlapping pairs");
        Assert.Equal(0, badTrials);
        Assert.Equal(0, overlapping);
    }

    /// <summary>
    /// Before: sign counted the items without locking the prescription, then its conditional UPDATE waited for the
    /// delete's lock and signed anyway: about half of the trials ended signed with no items.
    /// </summary>
    [Fact]
    public async Task SigningWhileTheLastItemIsRemovedNeverLeavesASignedPrescriptionWithoutItems()
    {
        const int trials = 30;
        var (doctor, client) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(doctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddMinutes(-30));

        var (signedEmpty, signedFirst, removedFirst, inconsistent) = (0, 0, 0, 0);
        for (var trial = 0; trial < trials; trial++)
        {
            var prescription = await api.Seed.PrescriptionAsync(encounter, DateTime.UtcNow, "Amoxicillin");
            var item = await ScalarAsync<Guid>("SELECT id FROM prescription_items WHERE prescription_id = @prescription", new { prescription });

            var statuses = await Together.RunAsync(
                () => StatusAsync(client.PostAsync($"/api/prescriptions/{prescription}/sign", null)),
                () => StatusAsync(client.DeleteAsync($"/api/prescriptions/{prescription}/items/{item}")));
            var status = await ScalarAsync<string>("SELECT status FROM prescriptions WHERE id = @prescription", new { prescription });
            var items = await ScalarAsync<int>("SELECT count(*) FROM prescription_items WHERE prescription_id = @prescription", new { prescription });

            signedEmpty += status == "signed" && items == 0 ? 1 : 0;
            signedFirst += statuses[0] == HttpStatusCode.OK ? 1 : 0;
            removedFirst += statuses[1] == HttpStatusCode.OK ? 1 : 0;
            // Exactly one of the two wins and the data says which; the other is told why (409).
            var consistent = statuses.Order().SequenceEqual([HttpStatusCode.OK, HttpStatusCode.Conflict])
                && (status, items) == (statuses[0] == HttpStatusCode.OK ? ("signed", 1) : ("draft", 0));
            inconsistent += consistent ? 0 : 1;
        }

        output.WriteLine($"{trials} sign-versus-remove trials: signed first {signedFirst}, removed first {removedFirst}, " +
                         $"signed with 0 items {signedEmpty}, answers that disagree with the data {inconsistent}");
        Assert.Equal(0, signedEmpty);
        Assert.Equal(0, inconsistent);
    }

    /// <summary>The same for an order: submitting a draft while its last item is removed never submits it empty.</summary>
    [Fact]
    public async Task SubmittingADraftOrderWhileItsLastItemIsRemovedNeverSubmitsItEmpty()
    {
        const int trials = 20;
        var (doctor, client) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(doctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddMinutes(-30));

        var submittedEmpty = 0;
        for (var trial = 0; trial < trials; trial++)
        {
            var order = await api.Seed.OrderAsync(encounter, DateTime.UtcNow, "CBC");
            await api.Seed.ExecuteAsync("UPDATE orders SET status = 'draft', ordered_at = NULL WHERE id = @order", new { order });
            var item = await ScalarAsync<Guid>("SELECT id FROM order_items WHERE order_id = @order", new { order });

            await Together.RunAsync(
                () => StatusAsync(client.PostAsync($"/api/orders/{order}/submit", null)),
                () => StatusAsync(client.DeleteAsync($"/api/orders/{order}/items/{item}")));
            var status = await ScalarAsync<string>("SELECT status FROM orders WHERE id = @order", new { order });
            var items = await ScalarAsync<int>("SELECT count(*) FROM order_items WHERE order_id = @order", new { order });
            submittedEmpty += status != "draft" && items == 0 ? 1 : 0;
        }

        output.WriteLine($"{trials} submit-versus-remove trials: submitted with 0 items {submittedEmpty}");
        Assert.Equal(0, submittedEmpty);
    }

    private async Task<(int Live, int Overlapping)> LiveAndOverlappingAsync(Guid doctor) => (
        await ScalarAsync<int>("SELECT count(*) FROM appointments WHERE doctor_id = @doctor AND status NOT IN ('cancelled', 'no_show')", new { doctor }),
        await ScalarAsync<int>("""
            SELECT count(*) FROM appointments a JOIN appointments b
              ON a.doctor_id = b.doctor_id AND a.id < b.id AND a.start_time < b.end_time AND b.start_time < a.end_time
            WHERE a.doctor_id = @doctor AND a.status NOT IN ('cancelled', 'no_show') AND b.status NOT IN ('cancelled', 'no_show')
            """, new { doctor }));

    private async Task<T> ScalarAsync<T>(string sql, object parameters)
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    private static async Task<HttpStatusCode> StatusAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        return response.StatusCode;
    }

    private static string Describe(IEnumerable<HttpStatusCode> statuses) =>
        string.Join(", ", statuses.GroupBy(s => (int)s).OrderBy(g => g.Key).Select(g => $"{g.Key} × {g.Count()}"));

    private static object Booking(Guid doctor, Guid patient, DateTime start) => new
    {
        doctorId = doctor, patientId = patient, startTime = start, endTime = start.AddMinutes(20), appointmentType = "in_person",
    };
}
