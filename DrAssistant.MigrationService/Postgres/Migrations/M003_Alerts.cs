using FluentMigrator;

namespace DrAssistant.MigrationService.Postgres.Migrations;

/// <summary>Version 3: alerts (notifications are written once and read; no updated_at, no trigger).</summary>
[Migration(3, "alerts")]
public sealed class M003_Alerts : DrMigration
{
    public override void Up()
    {
        Create.Table("alerts").WithDescription("Notifications for one user.")
            .WithId("alerts")
            .WithColumn("user_id").AsGuid().NotNullable().ForeignKey("fk_alerts_user", "users", "id").WithColumnDescription("The recipient.")
            .WithColumn("patient_id").AsGuid().Nullable().ForeignKey("fk_alerts_patient", "patients", "id").WithColumnDescription("The patient it concerns, if any.")
            .WithColumn("alert_type").AsString(20).NotNullable().WithColumnDescription("lab_result, medication, appointment, task, system or other.")
            .WithColumn("severity").AsString(10).NotNullable().WithColumnDescription("low, medium, high or critical.")
            .WithColumn("title").AsString(100).NotNullable().WithColumnDescription("Short headline.")
            .WithColumn("message").Text().NotNullable().WithColumnDescription("The full message.")
            .WithColumn("is_read").AsBoolean().NotNullable().WithDefaultValue(false).WithColumnDescription("Whether the recipient has read it.")
            .WithCreatedAt()
            .WithColumn("read_at").AsDateTimeOffset().Nullable().WithColumnDescription("When the recipient read it.")
            .WithColumn("source").AsString(50).Nullable().WithColumnDescription("The module that raised it.")
            .WithColumn("source_id").AsGuid().Nullable().WithColumnDescription("The object that raised it, in that module.")
            .WithColumn("action_url").AsString(255).Nullable().WithColumnDescription("Where the recipient acts on it.");

        Check("alerts", "valid_type", $"alert_type IN ({In("lab_result", "medication", "appointment", "task", "system", "other")})");
        Check("alerts", "valid_severity", $"severity IN ({In("low", "medium", "high", "critical")})");
        Index("alerts", "idx_alerts_user", "user_id");
        PartialIndex("alerts", "idx_alerts_patient", "patient_id", "patient_id IS NOT NULL");
        Index("alerts", "idx_alerts_read", "is_read");
        Index("alerts", "idx_alerts_created", "created_at");
        Index("alerts", "idx_alerts_severity", "severity");
        Index("alerts", "idx_alerts_type", "alert_type");
    }

    public override void Down()
    {
        Delete.Table("alerts");
    }
}
