using System.Globalization;
using System.Text.Json;
using Bogus;
using DrAssistant.Seeder.Clinic;
using DrAssistant.Seeder.Storage;

namespace DrAssistant.Seeder.Generate;

/// <summary>
/// Makes <c>generate</c>'s rows, fast: names, streets and addresses are drawn once into pools (with Bogus) and then
/// picked with a plain <see cref="Random"/>; the clinical words come from the <see cref="Catalogue"/>. Every value
/// respects the schema's CHECK constraints and foreign keys, and no doctor is ever booked twice at once.
/// Unique columns (usernames, emails, MRNs, ABHA ids) and the ids carry a run number, so a second run with --force
/// adds rows instead of colliding with the first; everything else follows the seed.
/// </summary>
internal sealed class RowFactory
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly string[] TaskTitles =
        ["Review lab results", "Sign the encounter note", "Call the patient about follow-up", "Send the referral letter",
         "Chase the imaging report", "Update the medication list"];
    private static readonly string[] TaskTypes = ["review", "documentation", "follow_up", "referral", "order", "other"];
    private static readonly string[] Priorities = ["low", "medium", "high", "urgent"];
    private static readonly double[] PriorityWeights = [0.3, 0.4, 0.2, 0.1];
    private static readonly string[] Severities = ["low", "medium", "high", "critical"];
    private static readonly double[] SeverityWeights = [0.35, 0.35, 0.2, 0.1];
    private static readonly double[] BloodGroupWeights = [.. Catalogue.BloodGroupWeights.Select(w => (double)w)];

    private readonly Random _random;
    private readonly Random _ids;
    private readonly GeneratePlan _plan;
    private readonly ClinicCalendar _calendar;
    private readonly DateTime _now;
    private readonly int _run;
    private readonly string _tag;
    private readonly string[] _internationalFemaleNames;
    private readonly string[] _internationalMaleNames;
    private readonly string[] _indianLastNames;
    private readonly string[] _internationalLastNames;
    private readonly string[] _addresses;
    private readonly string[] _emergencyContacts;
    private readonly Scenario[][] _scenariosBySpecialty;

    public RowFactory(GeneratePlan plan, ClinicCalendar calendar, DateTime nowUtc, int seed, int run)
    {
        _random = new Random(seed);
        // Ids come from a stream of their own that also depends on the run, so a --force run never reuses a key.
        _ids = new Random(unchecked((seed * 1_000_003) ^ run));
        _plan = plan;
        _calendar = calendar;
        _now = nowUtc;
        _run = run;
        _tag = run.ToString("x", CultureInfo.InvariantCulture);

        var indian = new Faker("en_IND") { Random = new Randomizer(seed) };
        var international = new Faker("en") { Random = new Randomizer(seed + 1) };
        _internationalFemaleNames = [.. Enumerable.Range(0, 300).Select(_ => international.Name.FirstName(Bogus.DataSets.Name.Gender.Female))];
        _internationalMaleNames = [.. Enumerable.Range(0, 300).Select(_ => international.Name.FirstName(Bogus.DataSets.Name.Gender.Male))];
        _indianLastNames = [.. Enumerable.Range(0, 900).Select(_ => indian.Name.LastName())];
        _internationalLastNames = [.. Enumerable.Range(0, 300).Select(_ => international.Name.LastName())];
        _addresses = [.. Enumerable.Range(0, 4000).Select(_ =>
        {
            var (city, state, pin) = Catalogue.Cities[_random.Next(Catalogue.Cities.Length)];
            return JsonSerializer.Serialize(new
            {
                line1 = indian.Address.StreetAddress(),
                city,
                state,
                postalCode = pin + _random.Next(1, 100).ToString("000", CultureInfo.InvariantCulture),
                country = "India",
            }, Json);
        })];
        _emergencyContacts = [.. Enumerable.Range(0, 2000).Select(_ => JsonSerializer.Serialize(new
        {
            name = FullName(_random.Next(2) == 0),
            relation = Pick(Catalogue.Relations),
            phone = Mobile(),
        }, Json))];
        _scenariosBySpecialty = [.. Catalogue.Specialties.Select(s => Catalogue.BySpecialty[s].ToArray())];
    }

    public UserRow[] Doctors { get; private set; } = [];

    public UserRow[] Nurses { get; private set; } = [];

    public List<UserRow> Staff(string passwordHash)
    {
        var joined = _calendar.ToUtc(_plan.Today.AddMonths(-GeneratePlan.MonthsBack - 1), new TimeOnly(10, 0));
        UserRow User(string role, int n, string? specialty)
        {
            var name = FullName(_random.Next(2) == 0);
            var username = $"{role}.{_tag}.{n}";
            return new UserRow(NewId(), username, $"{username}@generated.example", role == "doctor" ? $"Dr. {name}" : name,
                role, specialty, Mobile(), passwordHash, joined, "active", null);
        }

        Doctors = [.. Enumerable.Range(1, _plan.Doctors).Select(n => User("doctor", n, Catalogue.Specialties[(n - 1) % Catalogue.Specialties.Length]))];
        Nurses = [.. Enumerable.Range(1, _plan.Nurses).Select(n => User("nurse", n, null))];
        var receptionists = Enumerable.Range(1, _plan.Receptionists).Select(n => User("receptionist", n, null));
        return [.. Doctors, .. Nurses, .. receptionists, User("admin", 1, null)];
    }

    /// <summary>Patients number <paramref name="from"/> to <paramref name="from"/> + <paramref name="count"/> − 1.</summary>
    public List<PatientRow> Patients(int from, int count, Guid[] ids)
    {
        var rows = new List<PatientRow>(count);
        for (var i = from; i < from + count; i++)
        {
            var id = NewId();
            ids[i] = id;
            var roll = _random.Next(100);
            var gender = roll < 50 ? "female" : roll < 98 ? "male" : "other";
            var (first, last) = Name(gender == "female" || (gender == "other" && roll == 98));
            var age = _random.Next(5) == 0 ? _random.Next(0, 16) : (_random.Next(16, 89) + _random.Next(16, 71)) / 2;
            var birth = _plan.Today.AddDays(-(age * 365) - _random.Next(365));
            string[]? allergies = _random.Next(20) switch
            {
                < 12 => [],
                < 17 => [Pick(Catalogue.Allergies)],
                _ => null,
            };
            var created = _calendar.ToUtc(_plan.Today.AddDays(-_random.Next(30, 2000)), new TimeOnly(9 + _random.Next(8), _random.Next(60)));
            rows.Add(new PatientRow(
                id,
                $"G{_tag}-{i + 1:D8}",
                // 14 digits: the run number, then the patient's number scrambled by a bijection of 0..10^8 (the
                // multiplier is prime to 10), so ids look random yet are unique within and across runs.
                Abha(((long)_run * 100_000_000L) + ((((long)i * 48_271L) + 12_345L) % 100_000_000L)),
                first, last, birth, gender, Mobile(),
                _random.Next(10) < 3 ? $"p{_tag}.{i + 1}@mail.example" : null,
                Pick(_addresses), Pick(_emergencyContacts),
                Catalogue.BloodGroups[WeightedIndex(BloodGroupWeights)],
                allergies, created,
                _random.Next(200) == 0 ? "inactive" : "active"));
        }

        return rows;
    }

    /// <summary>
    /// The shuffled patient number of every appointment: each patient gets exactly the asked number of appointments.
    /// </summary>
    public int[] AppointmentPatients()
    {
        var order = new int[_plan.Appointments];
        for (long i = 0; i < order.Length; i++)
        {
            order[i] = (int)(i % _plan.Patients);
        }

        _random.Shuffle(order);
        return order;
    }

    /// <summary>
    /// One doctor's appointments and everything that follows from them, added to <paramref name="rows"/>.
    /// Appointments land on clinic days at random (fewer in the coming weeks, which are not fully booked yet), at most
    /// one per 15-minute slot, and a 30-minute visit only where the next slot is free and in the same session.
    /// </summary>
    public void Doctor(int doctorIndex, int appointmentCount, ReadOnlySpan<int> patientNumbers, Guid[] patientIds, ClinicRows rows)
    {
        var doctor = Doctors[doctorIndex];
        var scenarios = _scenariosBySpecialty[doctorIndex % _scenariosBySpecialty.Length];
        var days = _plan.ClinicDays;
        var perDay = new int[days.Length];
        var firstFuture = Array.FindIndex(days, d => d > _plan.Today);
        if (firstFuture < 0)
        {
            firstFuture = days.Length;
        }

        for (var placed = 0; placed < appointmentCount;)
        {
            var day = _random.Next(days.Length);
            if (day >= firstFuture)
            {
                // Bookings thin out with distance: the last of the three months ahead is about a fifth booked.
                var ahead = (double)(day - firstFuture) / Math.Max(1, days.Length - firstFuture);
                if (_random.NextDouble() > 1 - (0.8 * ahead))
                {
                    continue;
                }
            }

            while (perDay[day] >= ClinicCalendar.SlotsPerDay)
            {
                day = (day + 1) % days.Length;
            }

            perDay[day]++;
            placed++;
        }

        Span<int> slots = stackalloc int[ClinicCalendar.SlotsPerDay];
        Span<bool> taken = stackalloc bool[ClinicCalendar.SlotsPerDay + 1];
        var next = 0;
        for (var d = 0; d < days.Length; d++)
        {
            var count = perDay[d];
            if (count == 0)
            {
                continue;
            }

            for (var s = 0; s < slots.Length; s++)
            {
                slots[s] = s;
            }

            taken.Clear();
            // A partial Fisher–Yates shuffle picks the day's slots; sorted, they are the day in order.
            for (var s = 0; s < count; s++)
            {
                var j = _random.Next(s, slots.Length);
                (slots[s], slots[j]) = (slots[j], slots[s]);
                taken[slots[s]] = true;
            }

            var chosen = slots[..count];
            chosen.Sort();
            foreach (var slot in chosen)
            {
                var minutes = !ClinicCalendar.EndsSession(slot) && !taken[slot + 1] && _random.Next(10) < 3 ? 30 : 15;
                var patient = patientIds[patientNumbers[next++]];
                Visit(doctor, patient, days[d], slot, minutes, scenarios[_random.Next(scenarios.Length)], rows);
            }
        }
    }

    private void Visit(UserRow doctor, Guid patient, DateOnly day, int slot, int minutes, Scenario scenario, ClinicRows rows)
    {
        var start = _calendar.SlotStartUtc(day, slot);
        var end = start.AddMinutes(minutes);
        var roll = _random.Next(100);
        var status = end <= _now
            ? roll < 82 ? "completed" : roll < 90 ? "no_show" : "cancelled"
            : start > _now
                ? roll < 60 ? "scheduled" : roll < 95 ? "confirmed" : "cancelled"
                : "in_progress";
        roll = _random.Next(100);
        var type = roll < 50 ? "in_person" : roll < 70 ? "follow_up" : roll < 85 ? "routine" : roll < 95 ? "telemedicine" : "urgent";
        var created = start.AddDays(-_random.Next(1, 30)).AddMinutes(-_random.Next(600));
        DateTime? checkIn = status is "completed" or "in_progress" ? start.AddMinutes(-_random.Next(2, 16)) : null;
        DateTime? checkOut = status == "completed" ? end.AddMinutes(_random.Next(0, 11)) : null;
        var appointment = new AppointmentRow(NewId(), doctor.Id, patient, start, end, status, type, scenario.Reason, null,
            created, checkOut ?? checkIn ?? created, null, checkIn, checkOut);
        rows.Appointments.Add(appointment);

        if (status is not ("completed" or "in_progress"))
        {
            return;
        }

        var encounterStart = start.AddMinutes(_random.Next(0, 6));
        DateTime? encounterEnd = status == "completed" ? encounterStart.AddMinutes(Math.Max(8, minutes + _random.Next(-4, 9))) : null;
        var encounter = new EncounterRow(NewId(), appointment.Id, doctor.Id, patient,
            type == "telemedicine" ? "telemedicine" : type == "urgent" && _random.Next(4) == 0 ? "emergency" : "office_visit",
            encounterStart, encounterEnd, scenario.ChiefComplaint, encounterEnd is null ? "in_progress" : "completed",
            encounterStart, encounterEnd ?? encounterStart);
        rows.Encounters.Add(encounter);

        if (encounterEnd is not { } done)
        {
            return;
        }

        var visitDay = _calendar.LocalDate(encounterStart);
        var daysAgo = _plan.Today.DayNumber - visitDay.DayNumber;
        if (scenario.Medications.Length > 0 && _random.Next(10) < 7)
        {
            AddPrescription(encounter, done, visitDay, daysAgo, scenario, rows);
        }

        foreach (var order in scenario.Orders)
        {
            if (_random.Next(2) == 0)
            {
                AddOrder(encounter, done, daysAgo, order, rows);
            }
        }

        if (_random.Next(5) == 0)
        {
            AddTask(encounter, done, doctor, rows);
        }

        if (_random.Next(4) == 0)
        {
            AddAlert(encounter, done, scenario, rows);
        }
    }

    private void AddPrescription(EncounterRow encounter, DateTime done, DateOnly day, int daysAgo, Scenario scenario, ClinicRows rows)
    {
        var roll = _random.Next(100);
        var status = daysAgo > 7
            ? roll < 55 ? "dispensed" : roll < 80 ? "sent" : roll < 95 ? "signed" : "cancelled"
            : roll < 70 ? "signed" : "draft";
        DateTime? signed = status == "draft" ? null : done.AddMinutes(2);
        var longest = scenario.Medications[0].Refills > 0 ? 90 : 30;
        var prescription = new PrescriptionRow(NewId(), encounter.Id, encounter.PatientId, encounter.DoctorId, status,
            done, signed ?? done, signed, day, day.AddDays(longest),
            status is "sent" or "dispensed" ? Catalogue.Pharmacies[_random.Next(Catalogue.Pharmacies.Length)] : null, null);
        rows.Prescriptions.Add(prescription);
        foreach (var medication in scenario.Medications)
        {
            rows.PrescriptionItems.Add(new PrescriptionItemRow(NewId(), prescription.Id, medication.Name, medication.Dosage,
                medication.Frequency, medication.Duration, medication.Quantity, medication.Refills, medication.Instructions, done));
        }
    }

    private void AddOrder(EncounterRow encounter, DateTime done, int daysAgo, OrderPlan plan, ClinicRows rows)
    {
        var roll = _random.Next(100);
        var status = daysAgo >= 2
            ? roll < 80 ? "completed" : roll < 90 ? "in_progress" : "cancelled"
            : roll < 80 ? "ordered" : "draft";
        DateTime? ordered = status == "draft" ? null : done.AddMinutes(1);
        DateTime? completed = status == "completed" ? done.AddHours(_random.Next(4, 30)) : null;
        var order = new OrderRow(NewId(), encounter.Id, encounter.PatientId, encounter.DoctorId, plan.Type, status,
            done, completed ?? ordered ?? done, ordered, completed,
            plan.Type is "lab" or "imaging" ? Catalogue.Providers[_random.Next(Catalogue.Providers.Length)] : null, plan.Notes);
        rows.Orders.Add(order);
        foreach (var line in plan.Lines)
        {
            rows.OrderItems.Add(new OrderItemRow(NewId(), order.Id, line.Code, line.Name, line.Instructions, done));
        }
    }

    private void AddTask(EncounterRow encounter, DateTime done, UserRow doctor, ClinicRows rows)
    {
        var kind = _random.Next(TaskTitles.Length);
        var due = done.AddDays(_random.Next(1, 15));
        var roll = _random.Next(100);
        var status = due < _now
            ? roll < 80 ? "completed" : roll < 85 ? "cancelled" : "pending"
            : roll < 70 ? "pending" : "in_progress";
        var created = done.AddMinutes(5);
        DateTime? completed = status == "completed" ? created.AddHours(_random.Next(1, 72)) : null;
        var assignee = _random.Next(4) == 0 ? Nurses[_random.Next(Nurses.Length)].Id : doctor.Id;
        rows.Tasks.Add(new TaskRow(NewId(), TaskTitles[kind], null, assignee, doctor.Id, encounter.PatientId, encounter.Id, due,
            Priorities[WeightedIndex(PriorityWeights)], status, TaskTypes[kind], created, completed ?? created, completed));
    }

    private void AddAlert(EncounterRow encounter, DateTime done, Scenario scenario, ClinicRows rows)
    {
        var created = done.AddHours(_random.Next(1, 48));
        if (created > _now)
        {
            created = _now;
        }

        var (type, title) = scenario.Orders.Length > 0
            ? ("lab_result", "Result available")
            : scenario.Medications.Length > 0 ? ("medication", "Prescription needs review") : ("appointment", "Follow-up due");
        var read = created < _now.AddDays(-2) ? _random.Next(10) < 9 : _random.Next(10) < 3;
        rows.Alerts.Add(new AlertRow(NewId(), encounter.DoctorId, encounter.PatientId, type, Severities[WeightedIndex(SeverityWeights)],
            title, $"{scenario.Diagnosis}: see the encounter of {_calendar.LocalDate(done):yyyy-MM-dd}.", read, created,
            read ? created.AddMinutes(_random.Next(5, 600)) : null, "encounters", encounter.Id, null));
    }

    /// <summary>A random version 4 UUID from the seeded stream.</summary>
    private Guid NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        _ids.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>Three in four Indian, the rest international; first and last name from the same part of the world.</summary>
    private (string First, string Last) Name(bool female) => _random.Next(4) < 3
        ? (Pick(female ? Catalogue.IndianFemaleNames : Catalogue.IndianMaleNames), Pick(_indianLastNames))
        : (Pick(female ? _internationalFemaleNames : _internationalMaleNames), Pick(_internationalLastNames));

    private string FullName(bool female)
    {
        var (first, last) = Name(female);
        return $"{first} {last}";
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private int WeightedIndex(double[] weights)
    {
        var roll = _random.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    private string Mobile() =>
        string.Create(CultureInfo.InvariantCulture, $"+91 {_random.Next(6, 10)}{_random.Next(10_000):D4} {_random.Next(100_000):D5}");

    private static string Abha(long number)
    {
        var digits = number.ToString("00000000000000", CultureInfo.InvariantCulture);
        return $"{digits[..2]}-{digits[2..6]}-{digits[6..10]}-{digits[10..]}";
    }
}
