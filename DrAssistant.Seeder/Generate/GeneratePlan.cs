using DrAssistant.Seeder.Clinic;

namespace DrAssistant.Seeder.Generate;

/// <summary>
/// How many of everything <c>generate</c> writes, and over which days. Appointments span about two years: 21 months
/// back from today and 3 months ahead, on clinic days (Monday to Saturday). Doctors are proportional to the
/// appointments: by default just enough for about <see cref="AppointmentsPerClinicDay"/> appointments per doctor per
/// clinic day (200,000 patients × 5 = 1,000,000 appointments gives 100 doctors), so "a doctor's day" holds a realistic
/// list rather than one or two rows. Nurses are half the doctors, receptionists a quarter, plus one administrator.
/// </summary>
internal sealed record GeneratePlan(
    int Patients, int AppointmentsPerPatient, int Doctors, int Nurses, int Receptionists, DateOnly[] ClinicDays, DateOnly Today)
{
    public const int AppointmentsPerClinicDay = 16;
    public const int MonthsBack = 21;
    public const int MonthsAhead = 3;

    public long Appointments => (long)Patients * AppointmentsPerPatient;

    public int Staff => Doctors + Nurses + Receptionists + 1;

    public static GeneratePlan For(int patients, int appointmentsPerPatient, int? doctors, DateOnly today)
    {
        var days = ClinicDaysAround(today);
        var appointments = (long)patients * appointmentsPerPatient;
        var doctorCount = doctors ?? DefaultDoctors(appointments, days.Length);
        return new GeneratePlan(patients, appointmentsPerPatient, doctorCount,
            Math.Max(1, doctorCount / 2), Math.Max(1, doctorCount / 4), days, today);
    }

    public static int DefaultDoctors(long appointments, int clinicDays) =>
        (int)Math.Max(1, (appointments + ((long)clinicDays * AppointmentsPerClinicDay) - 1) / ((long)clinicDays * AppointmentsPerClinicDay));

    public static DateOnly[] ClinicDaysAround(DateOnly today)
    {
        var days = new List<DateOnly>();
        for (var day = today.AddMonths(-MonthsBack); day < today.AddMonths(MonthsAhead); day = day.AddDays(1))
        {
            if (ClinicCalendar.IsClinicDay(day))
            {
                days.Add(day);
            }
        }

        return [.. days];
    }

    /// <summary>Why these numbers cannot be scheduled without double-booking a doctor, or null when they can.</summary>
    public string? Infeasibility()
    {
        var busiest = (Appointments + Doctors - 1) / Doctors;
        var capacity = (long)ClinicDays.Length * ClinicCalendar.SlotsPerDay;
        return busiest <= capacity
            ? null
            : $"{Appointments:N0} appointments need at least {(Appointments + capacity - 1) / capacity:N0} doctors " +
              $"({ClinicCalendar.SlotsPerDay} slots a day on {ClinicDays.Length} clinic days each); --doctors {Doctors} is too few.";
    }
}
