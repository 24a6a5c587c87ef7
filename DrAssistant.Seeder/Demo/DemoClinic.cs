using System.Globalization;
using System.Text.Json;
using Bogus;
using DrAssistant.Seeder.Clinic;
using DrAssistant.Seeder.Storage;
using BogusGender = Bogus.DataSets.Name.Gender;

namespace DrAssistant.Seeder.Demo;

/// <summary>
/// The demo clinic as rows, computed from a seed number and the clinic's "today".
/// <para>
/// What the seed decides: every id, name, ABHA id, MRN, birth date, the schedule's shape and the clinical content.
/// What the day decides: where the week of appointments sits (three days before today to three days after, in the
/// clinic's time zone) and so every instant. Birth dates are drawn relative to a fixed date, never to today, so a
/// patient is the same person whenever the demo is built. Each part draws from its own random stream, so the
/// patients never depend on which weekday the schedule happens to start on.
/// </para>
/// </summary>
internal sealed class DemoClinic
{
    public const int PatientCount = 150;
    public const int DaysBefore = 3;
    public const int DaysAfter = 3;

    /// <summary>More encounters than any demo week has; the notes step finds the demo's encounters by these ids.</summary>
    public const int MaxEncounters = 2000;

    /// <summary>Birth dates count back from here, not from today.</summary>
    private static readonly DateOnly BirthReference = new(2025, 1, 1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly int _seed;
    private readonly DateOnly _today;
    private readonly ClinicCalendar _calendar;
    private readonly ClinicRows _rows = new();
    private readonly Dictionary<Guid, string> _patientNames = [];
    private readonly Dictionary<Guid, PatientRow> _patients = [];
    private readonly List<Visit> _visits = [];
    private readonly List<Guid> _receptionists = [];
    private readonly List<Guid> _nurses = [];
    private readonly List<(Guid Id, StaffMember Member)> _doctors = [];
    private Guid _admin;

    private DemoClinic(int seed, DateOnly today, ClinicCalendar calendar)
    {
        _seed = seed;
        _today = today;
        _calendar = calendar;
    }

    /// <summary>An appointment that became an encounter, with the visit it was.</summary>
    private sealed record Visit(AppointmentRow Appointment, EncounterRow Encounter, Scenario Scenario);

    public static Guid UserId(int seed, string username) => DeterministicId.For(seed, "user", username);

    public static Guid EncounterId(int seed, int index) => DeterministicId.For(seed, "encounter", index);

    public static Guid PatientId(int seed, int index) => DeterministicId.For(seed, "patient", index);

    /// <summary>Builds the whole clinic. <paramref name="hashPassword"/> is called once per staff member.</summary>
    public static ClinicRows Build(int seed, DateOnly today, ClinicCalendar calendar, Func<string, string> hashPassword)
    {
        var clinic = new DemoClinic(seed, today, calendar);
        clinic.AddStaff(new Randomizer(Stream(seed, 1)), hashPassword);
        clinic.AddPatients(new Randomizer(Stream(seed, 2)));
        clinic.AddWeek(new Randomizer(Stream(seed, 3)));
        clinic.AddPrescriptionsAndOrders(new Randomizer(Stream(seed, 4)));
        clinic.AddTasks(new Randomizer(Stream(seed, 5)));
        clinic.AddAlerts(new Randomizer(Stream(seed, 6)));
        return clinic._rows;
    }

    private static int Stream(int seed, int part) => unchecked((seed * 1_000_003) + (part * 7_919));

    private Guid Id(string kind, int index) => DeterministicId.For(_seed, kind, index);

    private DateTime At(DateOnly day, int hour, int minute) => _calendar.ToUtc(day, new TimeOnly(hour, minute));

    private void AddStaff(Randomizer random, Func<string, string> hashPassword)
    {
        var joined = At(_today.AddDays(-400), 10, 0);
        foreach (var member in DemoStaff.Members)
        {
            var id = UserId(_seed, member.Username);
            var preferences = member.Role == "doctor"
                ? JsonSerializer.Serialize(new { theme = "light", calendarView = "day", notifications = new { email = true, sms = random.Bool() } }, Json)
                : null;
            _rows.Users.Add(new UserRow(
                id, member.Username, $"{member.Username}@{DemoStaff.EmailDomain}", member.FullName, member.Role, member.Specialty,
                IndianMobile(random), hashPassword(DemoStaff.Password), joined, "active", preferences));

            switch (member.Role)
            {
                case "doctor": _doctors.Add((id, member)); break;
                case "nurse": _nurses.Add(id); break;
                case "receptionist": _receptionists.Add(id); break;
                default: _admin = id; break;
            }
        }
    }

    private void AddPatients(Randomizer random)
    {
        // Bogus draws from the random stream it is given, so names are as reproducible as everything else.
        var indian = new Faker("en_IND") { Random = new Randomizer(random.Int()) };
        var international = new Faker("en") { Random = new Randomizer(random.Int()) };
        var abhaIds = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < PatientCount; i++)
        {
            var isIndian = random.Bool(0.75f);
            var faker = isIndian ? indian : international;
            var gender = random.WeightedRandom(["female", "male", "other"], [0.5f, 0.48f, 0.02f]);
            var female = gender == "female" || (gender == "other" && random.Bool());
            var first = isIndian
                ? random.ArrayElement(female ? Catalogue.IndianFemaleNames : Catalogue.IndianMaleNames)
                : faker.Name.FirstName(female ? BogusGender.Female : BogusGender.Male);
            var last = faker.Name.LastName();
            // About a fifth are children, so the paediatrician has a list of her own; adults centre on the forties.
            var age = random.Bool(0.2f) ? random.Int(0, 15) : (random.Int(16, 88) + random.Int(16, 70)) / 2;
            var dateOfBirth = BirthReference.AddDays(-(age * 365) - random.Int(0, 364));

            string abha;
            do
            {
                abha = FormatAbha(random.Long(10_000_000_000_000L, 99_999_999_999_999L));
            }
            while (!abhaIds.Add(abha));

            var (city, state, pinPrefix) = random.ArrayElement(Catalogue.Cities);
            var address = JsonSerializer.Serialize(new
            {
                line1 = faker.Address.StreetAddress(),
                city,
                state,
                postalCode = pinPrefix + random.Int(1, 99).ToString("000", CultureInfo.InvariantCulture),
                country = "India",
            }, Json);
            var emergency = JsonSerializer.Serialize(new
            {
                name = $"{(isIndian ? random.ArrayElement(random.Bool() ? Catalogue.IndianFemaleNames : Catalogue.IndianMaleNames) : faker.Name.FirstName())} {last}",
                relation = age < 16 ? random.ArrayElement(["Mother", "Father"]) : random.ArrayElement(Catalogue.Relations),
                phone = IndianMobile(random),
            }, Json);
            string[]? allergies = random.Int(0, 19) switch
            {
                < 12 => [],
                < 17 => [.. random.ArrayElements(Catalogue.Allergies, random.Int(1, 2)).Order(StringComparer.Ordinal)],
                _ => null, // not asked yet
            };
            var status = i switch
            {
                PatientCount - 1 => "deceased",
                >= PatientCount - 4 => "inactive",
                _ => "active",
            };

            var id = PatientId(_seed, i);
            var patient = new PatientRow(
                id, $"DA-{100001 + i}", abha, first, last, dateOfBirth, gender, IndianMobile(random),
                random.Bool(0.7f) ? Email(random, first, last) : null, address, emergency,
                random.WeightedRandom(Catalogue.BloodGroups, Catalogue.BloodGroupWeights), allergies,
                At(_today.AddDays(-random.Int(30, 1500)), 10, random.Int(0, 59)), status);
            _rows.Patients.Add(patient);
            _patients[id] = patient;
            _patientNames[id] = $"{first} {last}";
        }
    }

    private void AddWeek(Randomizer random)
    {
        var active = _rows.Patients.Where(p => p.Status == "active").ToList();
        var children = active.Where(p => AgeOn(p, _today) < 16).ToArray();
        var adults = active.Where(p => AgeOn(p, _today) >= 16).ToArray();
        var appointmentIndex = 0;
        var encounterIndex = 0;

        for (var offset = -DaysBefore; offset <= DaysAfter; offset++)
        {
            var day = _today.AddDays(offset);
            if (!ClinicCalendar.IsClinicDay(day))
            {
                continue;
            }

            // Saturday is a morning clinic.
            var slotsToday = day.DayOfWeek == DayOfWeek.Saturday ? 16 : ClinicCalendar.SlotsPerDay;
            foreach (var (doctorId, doctor) in _doctors)
            {
                var count = slotsToday == 16 ? random.Int(3, 6) : random.Int(6, 10);
                var slots = random.Shuffle(Enumerable.Range(0, slotsToday)).Take(count).Order().ToArray();
                var taken = slots.ToHashSet();
                var pool = doctor.Specialty == Catalogue.Pediatrics ? children : adults;

                foreach (var slot in slots)
                {
                    // A 30-minute booking only where the next slot is free and in the same session: no double booking.
                    var minutes = random.Bool(0.3f) && !ClinicCalendar.EndsSession(slot) && !taken.Contains(slot + 1) && slot + 1 < slotsToday
                        ? 30
                        : 15;
                    var patient = random.ArrayElement(pool);
                    var scenario = random.ArrayElement(Catalogue.BySpecialty[doctor.Specialty!].ToArray());
                    var appointment = Appointment(random, Id("appointment", appointmentIndex++), doctorId, patient.Id, day, slot, minutes, scenario);
                    _rows.Appointments.Add(appointment);

                    if (appointment.Status is "completed" or "in_progress")
                    {
                        var encounter = Encounter(random, EncounterId(_seed, encounterIndex++), appointment, scenario);
                        _rows.Encounters.Add(encounter);
                        _visits.Add(new Visit(appointment, encounter, scenario));
                    }
                }
            }
        }
    }

    private AppointmentRow Appointment(
        Randomizer random, Guid id, Guid doctorId, Guid patientId, DateOnly day, int slot, int minutes, Scenario scenario)
    {
        var start = _calendar.SlotStartUtc(day, slot);
        var end = start.AddMinutes(minutes);
        var type = random.WeightedRandom(["in_person", "follow_up", "routine", "telemedicine", "urgent"], [0.5f, 0.2f, 0.15f, 0.1f, 0.05f]);

        // Today's morning clinic is over, its last hour is under way, the afternoon is still to come: fixed by the
        // slot rather than the clock, so seeding twice in a day gives the same week.
        var status = day < _today
            ? random.WeightedRandom(["completed", "no_show", "cancelled"], [0.85f, 0.08f, 0.07f])
            : day > _today
                ? random.WeightedRandom(["scheduled", "confirmed", "cancelled"], [0.55f, 0.4f, 0.05f])
                : ClinicCalendar.SlotTime(slot).Hour switch
                {
                    < 12 => random.WeightedRandom(["completed", "no_show"], [0.9f, 0.1f]),
                    12 => slot % 2 == 0 ? "in_progress" : "checked_in",
                    _ => random.WeightedRandom(["confirmed", "scheduled"], [0.5f, 0.5f]),
                };

        var bookedBy = random.Bool(0.85f) ? random.ListItem(_receptionists) : (Guid?)null; // else booked online
        var created = At(day.AddDays(-random.Int(1, 20)), random.Int(9, 16), random.Int(0, 59));
        DateTime? checkIn = status is "completed" or "in_progress" or "checked_in" ? start.AddMinutes(-random.Int(2, 15)) : null;
        DateTime? checkOut = status == "completed" ? end.AddMinutes(random.Int(0, 10)) : null;
        var updated = checkOut ?? checkIn ?? (status == "no_show" ? end.AddMinutes(30) : created);
        var notes = random.Bool(0.2f)
            ? random.ArrayElement(["Bring previous reports.", "First visit.", "Prefers Tamil.", "Wheelchair access needed.", "Insurance: CGHS."])
            : null;

        return new AppointmentRow(id, doctorId, patientId, start, end, status, type,
            type == "follow_up" ? $"Follow-up: {scenario.Reason}" : scenario.Reason, notes, created, updated, bookedBy, checkIn, checkOut);
    }

    private static EncounterRow Encounter(Randomizer random, Guid id, AppointmentRow appointment, Scenario scenario)
    {
        var start = appointment.StartTime.AddMinutes(random.Int(0, 5));
        var length = (int)(appointment.EndTime - appointment.StartTime).TotalMinutes + random.Int(-4, 8);
        DateTime? end = appointment.Status == "completed" ? start.AddMinutes(Math.Max(8, length)) : null;
        return new EncounterRow(
            id, appointment.Id, appointment.DoctorId, appointment.PatientId,
            appointment.AppointmentType == "telemedicine" ? "telemedicine" : "office_visit",
            start, end, scenario.ChiefComplaint, end is null ? "in_progress" : "completed", start, end ?? start);
    }

    private void AddPrescriptionsAndOrders(Randomizer random)
    {
        int prescriptionIndex = 0, itemIndex = 0, orderIndex = 0, orderItemIndex = 0;
        foreach (var (_, encounter, scenario) in _visits)
        {
            if (encounter.EndTime is not { } end)
            {
                continue; // still with the doctor: nothing signed or ordered yet
            }

            var day = _calendar.LocalDate(encounter.StartTime);
            if (scenario.Medications.Length > 0 && random.Bool(0.9f))
            {
                var status = day < _today
                    ? random.WeightedRandom(["dispensed", "sent", "signed"], [0.4f, 0.4f, 0.2f])
                    : random.WeightedRandom(["signed", "draft"], [0.7f, 0.3f]);
                DateTime? signed = status == "draft" ? null : end.AddMinutes(2);
                var longest = scenario.Medications.Any(m => m.Refills > 0) ? 90 : 30;
                var prescription = new PrescriptionRow(
                    Id("prescription", prescriptionIndex++), encounter.Id, encounter.PatientId, encounter.DoctorId, status,
                    end, signed ?? end, signed, day, day.AddDays(longest),
                    status is "sent" or "dispensed" ? random.ArrayElement(Catalogue.Pharmacies) : null,
                    random.Bool(0.2f) ? "Generic substitution allowed." : null);
                _rows.Prescriptions.Add(prescription);
                foreach (var medication in scenario.Medications)
                {
                    _rows.PrescriptionItems.Add(new PrescriptionItemRow(
                        Id("prescription-item", itemIndex++), prescription.Id, medication.Name, medication.Dosage,
                        medication.Frequency, medication.Duration, medication.Quantity, medication.Refills,
                        medication.Instructions, end));
                }
            }

            foreach (var plan in scenario.Orders)
            {
                if (!random.Bool(0.85f))
                {
                    continue;
                }

                var age = _today.DayNumber - day.DayNumber;
                var status = age switch
                {
                    >= 2 => random.WeightedRandom(["completed", "in_progress", "cancelled"], [0.7f, 0.2f, 0.1f]),
                    1 => random.WeightedRandom(["in_progress", "ordered"], [0.5f, 0.5f]),
                    _ => random.WeightedRandom(["ordered", "draft"], [0.8f, 0.2f]),
                };
                DateTime? ordered = status == "draft" ? null : end.AddMinutes(1);
                // Completed only for visits two or more days ago, so no result is dated after the day of seeding.
                DateTime? completed = status == "completed" ? end.AddHours(random.Int(4, 24)) : null;
                var order = new OrderRow(
                    Id("order", orderIndex++), encounter.Id, encounter.PatientId, encounter.DoctorId, plan.Type, status,
                    end, completed ?? ordered ?? end, ordered, completed,
                    plan.Type is "lab" or "imaging" ? random.ArrayElement(Catalogue.Providers) : null, plan.Notes);
                _rows.Orders.Add(order);
                foreach (var line in plan.Lines)
                {
                    _rows.OrderItems.Add(new OrderItemRow(Id("order-item", orderItemIndex++), order.Id, line.Code, line.Name, line.Instructions, end));
                }
            }
        }
    }

    private void AddTasks(Randomizer random)
    {
        var index = 0;
        var priorities = new[] { "urgent", "high", "medium", "low" };
        var statuses = new[] { "pending", "pending", "in_progress", "completed", "cancelled" };

        void Add(string title, string? description, Guid? assignee, Guid creator, string type, Guid? patient = null, Guid? encounter = null)
        {
            var priority = priorities[index % priorities.Length];
            var status = statuses[(index / priorities.Length + index) % statuses.Length];
            var due = At(_today.AddDays(random.Int(-2, 5)), 17, 0);
            var created = At(_today.AddDays(-random.Int(3, 6)), random.Int(9, 16), random.Int(0, 59));
            DateTime? completed = status == "completed" ? created.AddHours(random.Int(2, 40)) : null;
            _rows.Tasks.Add(new TaskRow(Id("task", index++), Truncate(title, 100), description, assignee, creator, patient, encounter,
                due, priority, status, type, created, completed ?? created, completed));
        }

        foreach (var (doctorId, _) in _doctors)
        {
            var visits = _visits.Where(v => v.Encounter.DoctorId == doctorId && v.Encounter.EndTime is not null).ToList();
            if (visits.Count == 0)
            {
                continue;
            }

            var visit = random.ListItem(visits);
            Add($"Sign the note for {_patientNames[visit.Encounter.PatientId]}", "The SOAP note of the visit is still a draft.",
                doctorId, doctorId, "documentation", visit.Encounter.PatientId, visit.Encounter.Id);

            var ordered = visits.FirstOrDefault(v => v.Scenario.Orders.Length > 0) ?? visit;
            var test = ordered.Scenario.Orders.FirstOrDefault()?.Lines[0].Name ?? "lab";
            Add($"Review {test} results for {_patientNames[ordered.Encounter.PatientId]}", null,
                doctorId, doctorId, "review", ordered.Encounter.PatientId, ordered.Encounter.Id);

            var followUp = random.ListItem(visits);
            Add($"Call {_patientNames[followUp.Encounter.PatientId]} about follow-up", followUp.Scenario.FollowUp,
                doctorId, doctorId, "follow_up", followUp.Encounter.PatientId, followUp.Encounter.Id);
        }

        var anyDoctor = _doctors[0].Id;
        foreach (var nurse in _nurses)
        {
            var visit = random.ListItem(_visits);
            Add($"Prepare {_patientNames[visit.Encounter.PatientId]} for ECG", "Twelve-lead ECG before the consultation.",
                nurse, visit.Encounter.DoctorId, "order", visit.Encounter.PatientId, visit.Encounter.Id);
            Add("Restock the vaccine refrigerator", "Check temperatures in the log as well.", nurse, _admin, "other");
            Add("Record vitals for walk-in patients", null, nurse, anyDoctor, "other");
        }

        foreach (var receptionist in _receptionists)
        {
            var patient = random.ListItem(_rows.Patients);
            Add("Confirm tomorrow's appointments by phone", "Call or message every patient booked for tomorrow.", receptionist, _admin, "follow_up");
            Add($"Send the referral letter for {_patientNames[patient.Id]}", null, receptionist, anyDoctor, "referral", patient.Id);
        }

        Add("Renew the clinic's registration certificate", "Due with the state health department this month.", _admin, _admin, "other");
        Add("Review last week's no-shows", null, _admin, _admin, "review");
        Add("Assign the pending lab follow-ups", null, null, _admin, "other");
    }

    private void AddAlerts(Randomizer random)
    {
        var index = 0;
        var seedingDay = At(_today, 0, 5);

        void Add(Guid user, Guid? patient, string type, string severity, string title, string message, string? source, Guid? sourceId, string? url)
        {
            // Alerts of the last three days, never later than the start of today.
            var created = seedingDay.AddMinutes(-random.Int(30, 3 * 24 * 60));
            var read = random.Bool(0.4f);
            _rows.Alerts.Add(new AlertRow(Id("alert", index++), user, patient, type, severity, Truncate(title, 100), message, read,
                created, read ? created.AddMinutes(random.Int(5, 300)) : null, source, sourceId, url));
        }

        foreach (var (doctorId, _) in _doctors)
        {
            var orders = _rows.Orders.Where(o => o.DoctorId == doctorId && o.OrderType == "lab").ToList();
            foreach (var order in orders.Take(2))
            {
                var name = _patientNames[order.PatientId];
                var critical = random.Bool(0.4f);
                Add(doctorId, order.PatientId, "lab_result", critical ? "critical" : "high",
                    critical ? $"Critical result for {name}" : $"Abnormal result for {name}",
                    critical ? "Serum potassium 6.2 mmol/L (3.5–5.1). Please review now." : "Value outside the reference range; see the report.",
                    "lab", order.Id, $"/orders/{order.Id}");
            }

            var prescription = _rows.Prescriptions.FirstOrDefault(p => p.DoctorId == doctorId && p.Status == "draft")
                ?? _rows.Prescriptions.FirstOrDefault(p => p.DoctorId == doctorId);
            if (prescription is not null)
            {
                var allergic = _patients[prescription.PatientId].Allergies is { Length: > 0 } allergies ? allergies[0] : null;
                Add(doctorId, prescription.PatientId, "medication", allergic is null ? "medium" : "high",
                    allergic is null ? $"Prescription awaiting signature" : $"Allergy on record: {allergic}",
                    allergic is null
                        ? $"The prescription for {_patientNames[prescription.PatientId]} is not signed yet."
                        : $"{_patientNames[prescription.PatientId]} is recorded as allergic to {allergic}; check the new prescription.",
                    "prescriptions", prescription.Id, $"/prescriptions/{prescription.Id}");
            }

            var noShow = _rows.Appointments.FirstOrDefault(a => a.DoctorId == doctorId && a.Status == "no_show");
            if (noShow is not null)
            {
                Add(doctorId, noShow.PatientId, "appointment", "low", $"No-show: {_patientNames[noShow.PatientId]}",
                    "The patient did not come to the appointment; reception will call to rebook.", "scheduler", noShow.Id,
                    $"/appointments/{noShow.Id}");
            }

            var overdue = _rows.Tasks.FirstOrDefault(t => t.AssignedTo == doctorId && t.Status == "pending");
            if (overdue is not null)
            {
                Add(doctorId, overdue.PatientId, "task", "medium", "Task due soon", overdue.Title, "tasks", overdue.Id, $"/tasks/{overdue.Id}");
            }
        }

        foreach (var nurse in _nurses)
        {
            Add(nurse, null, "other", "low", "Vaccine stock low", "Fewer than 10 doses of the influenza vaccine left.", "inventory", null, null);
            var checkedIn = _rows.Appointments.FirstOrDefault(a => a.Status == "checked_in");
            if (checkedIn is not null)
            {
                Add(nurse, checkedIn.PatientId, "appointment", "medium", $"{_patientNames[checkedIn.PatientId]} is waiting",
                    "Checked in; vitals not recorded yet.", "scheduler", checkedIn.Id, $"/appointments/{checkedIn.Id}");
            }
        }

        foreach (var receptionist in _receptionists)
        {
            Add(receptionist, null, "appointment", "low", "Tomorrow's list is ready", "Confirm the bookings for tomorrow.", "scheduler", null, "/appointments");
            Add(receptionist, null, "system", "medium", "SMS reminders paused", "The SMS gateway did not answer; reminders will be retried.", "system", null, null);
        }

        Add(_admin, null, "system", "low", "Nightly backup completed", "All databases were backed up at 02:00.", "system", null, null);
        Add(_admin, null, "system", "high", "Disk space below 15%", "The document store volume is 86% full.", "system", null, null);
        Add(_admin, null, "other", "low", "Licence renewal in 30 days", "The clinic's software licence renews next month.", "system", null, null);
    }

    private static int AgeOn(PatientRow patient, DateOnly day)
    {
        var age = day.Year - patient.DateOfBirth.Year;
        return patient.DateOfBirth > day.AddYears(-age) ? age - 1 : age;
    }

    /// <summary>14 digits written as ABHA shows them: 12-3456-7890-1234.</summary>
    private static string FormatAbha(long number)
    {
        var digits = number.ToString("00000000000000", CultureInfo.InvariantCulture);
        return $"{digits[..2]}-{digits[2..6]}-{digits[6..10]}-{digits[10..]}";
    }

    private static string IndianMobile(Randomizer random) =>
        $"+91 {random.Int(6, 9)}{random.ReplaceNumbers("####")} {random.ReplaceNumbers("#####")}";

    private static string Email(Randomizer random, string first, string last)
    {
        static string Letters(string name) => new([.. name.ToLowerInvariant().Where(char.IsAsciiLetter)]);
        var domain = random.ArrayElement(["gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com"]);
        return $"{Letters(first)}.{Letters(last)}{random.Int(1, 99)}@{domain}";
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
