using DrAssistant.Api.Appointments;
using DrAssistant.Api.Encounters;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Patients;
using DrAssistant.Api.Prescriptions;
using DrAssistant.Api.Tasks;
using DrAssistant.Api.Users;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// The words the database's CHECK constraints allow (a feature's statuses are its Rules' constants), so the API refuses the same values with a 400 before the
/// database would. A test compares these lists with the constraints in pg_catalog.
/// </summary>
public static class Vocabulary
{
    public static readonly string[] Roles = UsersRules.Roles;
    public static readonly string[] UserStatuses = UsersRules.Statuses;
    public static readonly string[] Genders = ["male", "female", "other"];
    public static readonly string[] PatientStatuses = PatientsRules.Statuses;
    public static readonly string[] AppointmentStatuses = AppointmentsRules.Statuses;
    public static readonly string[] AppointmentTypes = ["in_person", "telemedicine", "follow_up", "urgent", "routine"];
    public static readonly string[] EncounterTypes = ["office_visit", "telemedicine", "emergency", "home_visit"];
    public static readonly string[] EncounterStatuses = [EncountersRules.InProgress, EncountersRules.Completed, EncountersRules.Cancelled];
    public static readonly string[] PrescriptionStatuses =
        [PrescriptionsRules.Draft, PrescriptionsRules.Signed, PrescriptionsRules.Sent, PrescriptionsRules.Dispensed, PrescriptionsRules.Cancelled];
    public static readonly string[] OrderTypes = ["lab", "imaging", "procedure", "referral"];
    public static readonly string[] OrderStatuses =
        [OrdersRules.Draft, OrdersRules.Ordered, OrdersRules.InProgress, OrdersRules.Completed, OrdersRules.Cancelled];
    public static readonly string[] TaskPriorities = ["low", "medium", "high", "urgent"];
    public static readonly string[] TaskStatuses = TasksRules.Statuses;
    public static readonly string[] TaskTypes = ["documentation", "review", "follow_up", "referral", "order", "other"];
    public static readonly string[] AlertTypes = ["lab_result", "medication", "appointment", "task", "system", "other"];
    public static readonly string[] AlertSeverities = ["low", "medium", "high", "critical"];

    /// <summary>
    /// Clinical rank as SQL, higher is more urgent: words sort alphabetically (urgent &gt; medium &gt; low &gt; high),
    /// ranks do not. Schema version 5's <c>idx_tasks_assignee_pending</c> holds this very expression (PostgreSQL reads
    /// an index in ORDER BY's order only when the expressions are the same): change it only with a new index
    /// (QueryPlanTests fail otherwise). The same holds for <see cref="AlertSeverityRank"/> and <c>idx_alerts_user_unread</c>.
    /// </summary>
    public static string TaskPriorityRank(string column) =>
        $"CASE {column} WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END";

    /// <summary>Clinical rank as SQL, higher is more severe.</summary>
    public static string AlertSeverityRank(string column) =>
        $"CASE {column} WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END";
}
