namespace DrAssistant.Api.Auth;

/// <summary>
/// What each role may do: the one table of permissions (documented in the README). A session carries its role's
/// permissions, so other services reading <c>session:{id}</c> see the same list.
/// </summary>
public static class Permissions
{
    public const string ReadPatients = "read:patients";
    public const string WritePatients = "write:patients";
    public const string ReadAppointments = "read:appointments";
    public const string WriteAppointments = "write:appointments";
    public const string ReadEncounters = "read:encounters";
    public const string WriteEncounters = "write:encounters";
    public const string WritePrescriptions = "write:prescriptions";
    public const string SignPrescriptions = "sign:prescriptions";
    public const string WriteOrders = "write:orders";
    public const string ReadNotes = "read:notes";
    public const string WriteNotes = "write:notes";
    public const string SignNotes = "sign:notes";
    public const string ReadTasks = "read:tasks";
    public const string WriteTasks = "write:tasks";
    public const string ReadAlerts = "read:alerts";
    public const string WriteAlerts = "write:alerts";
    public const string ReadDashboard = "read:dashboard";
    public const string ReadUsers = "read:users";
    public const string AdminUsers = "admin:users";

    public static readonly IReadOnlyDictionary<string, string[]> ByRole = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // Doctors do the clinical work, and only they sign prescriptions and notes.
        ["doctor"] =
        [
            ReadPatients, WritePatients, ReadAppointments, WriteAppointments, ReadEncounters, WriteEncounters,
            WritePrescriptions, SignPrescriptions, WriteOrders, ReadNotes, WriteNotes, SignNotes,
            ReadTasks, WriteTasks, ReadAlerts, WriteAlerts, ReadDashboard, ReadUsers,
        ],
        // Nurses read the clinical record, draft notes, check patients in, and work their tasks.
        ["nurse"] =
        [
            ReadPatients, WritePatients, ReadAppointments, WriteAppointments, ReadEncounters, WriteEncounters,
            ReadNotes, WriteNotes, ReadTasks, WriteTasks, ReadAlerts, WriteAlerts, ReadUsers,
        ],
        // Reception manages appointments and patient demographics, never clinical content.
        ["receptionist"] =
        [
            ReadPatients, WritePatients, ReadAppointments, WriteAppointments, ReadTasks, WriteTasks, ReadAlerts, ReadUsers,
        ],
        // Administrators manage accounts; they do not read clinical content.
        ["admin"] = [AdminUsers, ReadUsers, ReadTasks, WriteTasks, ReadAlerts, WriteAlerts],
    };

    public static IReadOnlyList<string> All { get; } = ByRole.Values.SelectMany(p => p).Distinct().Order().ToArray();

    public static string[] For(string role) => ByRole.TryGetValue(role, out var permissions) ? permissions : [];
}
