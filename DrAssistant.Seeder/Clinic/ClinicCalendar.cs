using DrAssistant.Shared.Clinic;

namespace DrAssistant.Seeder.Clinic;

/// <summary>
/// The clinic's week in its own time zone (<c>Clinic:TimeZone</c>, Asia/Kolkata by default, as the API reads it):
/// open Monday to Saturday, 09:00–13:00 and 14:00–17:00, booked in 15-minute slots.
/// </summary>
internal sealed class ClinicCalendar
{
    public const string DefaultTimeZone = "Asia/Kolkata";
    public const int SlotMinutes = 15;

    /// <summary>Slots 0–15 are the morning session, 16–27 the afternoon.</summary>
    public const int SlotsPerDay = 28;

    private const int MorningSlots = 16;
    private static readonly TimeOnly MorningStart = new(9, 0);
    private static readonly TimeOnly AfternoonStart = new(14, 0);

    public ClinicCalendar(TimeZoneInfo zone) => Zone = zone;

    public TimeZoneInfo Zone { get; }

    public static ClinicCalendar ForZone(string? timeZone)
    {
        var id = string.IsNullOrWhiteSpace(timeZone) ? DefaultTimeZone : timeZone;
        return ClinicClock.TryFindZone(id, out var zone)
            ? new ClinicCalendar(zone)
            : throw new InvalidOperationException($"Clinic:TimeZone '{id}' is not a known time zone.");
    }

    public static bool IsClinicDay(DateOnly day) => day.DayOfWeek != DayOfWeek.Sunday;

    /// <summary>The slot's local time of day.</summary>
    public static TimeOnly SlotTime(int slot) => slot < MorningSlots
        ? MorningStart.AddMinutes(slot * SlotMinutes)
        : AfternoonStart.AddMinutes((slot - MorningSlots) * SlotMinutes);

    /// <summary>Whether the slot is the last of its session, so a booking there cannot run into the next one.</summary>
    public static bool EndsSession(int slot) => slot == MorningSlots - 1 || slot == SlotsPerDay - 1;

    public DateTime SlotStartUtc(DateOnly day, int slot) => ToUtc(day, SlotTime(slot));

    public DateTime ToUtc(DateOnly day, TimeOnly time) =>
        TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(time, DateTimeKind.Unspecified), Zone);

    public DateOnly LocalDate(DateTime utc) => ClinicClock.LocalDate(utc, Zone);

    public DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime);
}
