using System.Globalization;
using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Dashboard;

/// <summary>What a valid dashboard request is (no I/O).</summary>
public static class DashboardRules
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>
    /// Checks the query string; gives the day asked for (null: today, which the caller knows) and its zone
    /// (<paramref name="clinicZone"/> unless another is named).
    /// </summary>
    public static Validation Validate(
        string? date, string? timeZone, int? taskLimit, int? alertLimit, TimeZoneInfo clinicZone, out DateOnly? day, out TimeZoneInfo zone)
    {
        var validation = new Validation()
            .Range("taskLimit", taskLimit, 1, MaxLimit)
            .Range("alertLimit", alertLimit, 1, MaxLimit);
        zone = clinicZone;
        if (timeZone is not null && !ClinicClock.TryFindZone(timeZone, out zone))
        {
            validation.Add("timeZone", "timeZone must be an IANA time zone such as Asia/Kolkata.");
        }

        day = null;
        if (date is null)
        {
            return validation;
        }

        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            validation.Add("date", "date must be a calendar date as YYYY-MM-DD.");
        }
        else if (!Instants.InRange(parsed))
        {
            // Beyond these years the day's end cannot even be computed (9999-12-31) or its start is not an instant (0001-01-01).
            validation.Add("date", Instants.OutOfRange("date"));
        }
        else
        {
            day = parsed;
        }

        return validation;
    }
}
