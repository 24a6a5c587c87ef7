using Microsoft.Extensions.Options;

namespace DrAssistant.Shared.Clinic;

/// <summary>Settings under <c>Clinic</c>.</summary>
public sealed class ClinicOptions
{
    public const string SectionName = "Clinic";

    /// <summary>The clinic's IANA time zone; a "day" is a calendar day there unless a request names another zone.</summary>
    public string TimeZone { get; set; } = "Asia/Kolkata";
}

/// <summary>Calendar days in a time zone, as half-open ranges of instants (what the indexes can serve).</summary>
public sealed class ClinicClock(IOptions<ClinicOptions> options, TimeProvider time)
{
    public TimeZoneInfo ClinicZone => TryFindZone(options.Value.TimeZone, out var zone)
        ? zone
        : throw new InvalidOperationException($"Clinic:TimeZone '{options.Value.TimeZone}' is not a known time zone.");

    public static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    public DateOnly Today(TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);

    /// <summary>The calendar day, in <paramref name="zone"/>, of an instant.</summary>
    public static DateOnly LocalDate(DateTime utc, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone));

    /// <summary>[local midnight, next local midnight) as UTC instants; a day may be 23 or 25 hours long.</summary>
    public static (DateTime FromUtc, DateTime ToUtc) DayRange(DateOnly day, TimeZoneInfo zone) =>
        (StartOfDayUtc(day, zone), StartOfDayUtc(day.AddDays(1), zone));

    private static DateTime StartOfDayUtc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // Where a clock change skips midnight, the day starts at the first minute that exists.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
