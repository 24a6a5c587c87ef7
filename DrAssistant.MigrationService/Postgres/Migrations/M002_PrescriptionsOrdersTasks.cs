using System.Data;
using FluentMigrator;

namespace DrAssistant.MigrationService.Postgres.Migrations;

/// <summary>Version 2: prescriptions and their items, orders and their items, tasks.</summary>
[Migration(2, "prescriptions, orders, tasks")]
public sealed class M002_PrescriptionsOrdersTasks : DrMigration
{
    public override void Up()
    {
        CreatePrescriptions();
        CreateOrders();
        CreateTasks();
    }

    public override void Down()
    {
        Delete.Table("tasks");
        Delete.Table("order_items");
        Delete.Table("orders");
        Delete.Table("prescription_items");
        Delete.Table("prescriptions");
    }

    private void CreatePrescriptions()
    {
        Create.Table("prescriptions").WithDescription("Medication orders written by a doctor during an encounter.")
            .WithId("prescriptions")
            .WithColumn("encounter_id").AsGuid().NotNullable().ForeignKey("fk_prescriptions_encounter", "encounters", "id").WithColumnDescription("The encounter it was written in.")
            .WithColumn("patient_id").AsGuid().NotNullable().ForeignKey("fk_prescriptions_patient", "patients", "id").WithColumnDescription("The patient it is for.")
            .WithColumn("doctor_id").AsGuid().NotNullable().ForeignKey("fk_prescriptions_doctor", "users", "id").WithColumnDescription("The prescriber.")
            .WithColumn("status").AsString(20).NotNullable().WithDefaultValue("draft").WithColumnDescription("draft, signed, sent, dispensed or cancelled.")
            .WithTimestamps()
            .WithColumn("signed_at").AsDateTimeOffset().Nullable().WithColumnDescription("When the doctor signed it.")
            .WithColumn("valid_from").AsDate().NotNullable().WithDefaultValue(RawSql.Insert("CURRENT_DATE")).WithColumnDescription("First calendar day it may be dispensed.")
            .WithColumn("valid_until").AsDate().Nullable().WithColumnDescription("Last calendar day it may be dispensed; empty when open-ended.")
            .WithColumn("pharmacy_id").AsGuid().Nullable().WithColumnDescription("Pharmacy it was sent to (kept outside this database, so no foreign key).")
            .WithColumn("notes").Text().Nullable().WithColumnDescription("Notes for the pharmacist or the patient.");

        Check("prescriptions", "valid_status", $"status IN ({In("draft", "signed", "sent", "dispensed", "cancelled")})");
        Check("prescriptions", "valid_date_range", "valid_until IS NULL OR valid_until >= valid_from");
        Index("prescriptions", "idx_prescriptions_encounter", "encounter_id");
        Index("prescriptions", "idx_prescriptions_patient", "patient_id");
        Index("prescriptions", "idx_prescriptions_doctor", "doctor_id");
        Index("prescriptions", "idx_prescriptions_status", "status");
        Index("prescriptions", "idx_prescriptions_valid_from", "valid_from");
        UpdatedAtTrigger("prescriptions");

        Create.Table("prescription_items").WithDescription("One medication of a prescription.")
            .WithId("prescription_items")
            .WithColumn("prescription_id").AsGuid().NotNullable()
                .ForeignKey("fk_prescription_items_prescription", "prescriptions", "id").OnDelete(Rule.Cascade)
                .WithColumnDescription("The prescription; items are deleted with it.")
            .WithColumn("medication_name").AsString(100).NotNullable().WithColumnDescription("Name of the medication.")
            .WithColumn("dosage").AsString(50).NotNullable().WithColumnDescription("How much per dose, e.g. 500 mg.")
            .WithColumn("frequency").AsString(50).NotNullable().WithColumnDescription("How often, e.g. twice a day.")
            .WithColumn("duration").AsString(50).Nullable().WithColumnDescription("For how long, e.g. 7 days.")
            .WithColumn("quantity").AsString(50).Nullable().WithColumnDescription("How much to dispense.")
            .WithColumn("refills").AsInt32().Nullable().WithDefaultValue(0).WithColumnDescription("How many refills are allowed.")
            .WithColumn("instructions").Text().Nullable().WithColumnDescription("Instructions for the patient.")
            .WithTimestamps();

        Index("prescription_items", "idx_prescription_items_prescription", "prescription_id");
        UpdatedAtTrigger("prescription_items");
    }

    private void CreateOrders()
    {
        Create.Table("orders").WithDescription("Lab, imaging, procedure and referral orders.")
            .WithId("orders")
            .WithColumn("encounter_id").AsGuid().NotNullable().ForeignKey("fk_orders_encounter", "encounters", "id").WithColumnDescription("The encounter it was ordered in.")
            .WithColumn("patient_id").AsGuid().NotNullable().ForeignKey("fk_orders_patient", "patients", "id").WithColumnDescription("The patient it is for.")
            .WithColumn("doctor_id").AsGuid().NotNullable().ForeignKey("fk_orders_doctor", "users", "id").WithColumnDescription("The ordering doctor.")
            .WithColumn("order_type").AsString(20).NotNullable().WithColumnDescription("lab, imaging, procedure or referral.")
            .WithColumn("status").AsString(20).NotNullable().WithDefaultValue("ordered").WithColumnDescription("draft, ordered, in_progress, completed or cancelled.")
            .WithTimestamps()
            .WithColumn("ordered_at").AsDateTimeOffset().Nullable().WithColumnDescription("When it was submitted.")
            .WithColumn("completed_at").AsDateTimeOffset().Nullable().WithColumnDescription("When it was finished.")
            .WithColumn("provider_id").AsGuid().Nullable().WithColumnDescription("External lab or imaging centre (kept outside this database, so no foreign key).")
            .WithColumn("notes").Text().Nullable().WithColumnDescription("Notes for whoever carries it out.");

        Check("orders", "valid_type", $"order_type IN ({In("lab", "imaging", "procedure", "referral")})");
        Check("orders", "valid_status", $"status IN ({In("draft", "ordered", "in_progress", "completed", "cancelled")})");
        Index("orders", "idx_orders_encounter", "encounter_id");
        Index("orders", "idx_orders_patient", "patient_id");
        Index("orders", "idx_orders_doctor", "doctor_id");
        Index("orders", "idx_orders_status", "status");
        Index("orders", "idx_orders_type", "order_type");
        UpdatedAtTrigger("orders");

        Create.Table("order_items").WithDescription("One test, study, procedure or referral of an order.")
            .WithId("order_items")
            .WithColumn("order_id").AsGuid().NotNullable()
                .ForeignKey("fk_order_items_order", "orders", "id").OnDelete(Rule.Cascade)
                .WithColumnDescription("The order; items are deleted with it.")
            .WithColumn("item_code").AsString(50).NotNullable().WithColumnDescription("Code of the item, e.g. a CPT or LOINC code.")
            .WithColumn("item_name").AsString(100).NotNullable().WithColumnDescription("Name of the item.")
            .WithColumn("instructions").Text().Nullable().WithColumnDescription("Instructions for whoever carries it out.")
            .WithTimestamps();

        Index("order_items", "idx_order_items_order", "order_id");
        UpdatedAtTrigger("order_items");
    }

    private void CreateTasks()
    {
        Create.Table("tasks").WithDescription("Work items for staff.")
            .WithId("tasks")
            .WithColumn("title").AsString(100).NotNullable().WithColumnDescription("Short summary of the work.")
            .WithColumn("description").Text().Nullable().WithColumnDescription("Details of the work.")
            .WithColumn("assigned_to").AsGuid().Nullable().ForeignKey("fk_tasks_assigned_to", "users", "id").WithColumnDescription("Who should do it; empty while unassigned.")
            .WithColumn("created_by").AsGuid().NotNullable().ForeignKey("fk_tasks_created_by", "users", "id").WithColumnDescription("Who created it.")
            .WithColumn("patient_id").AsGuid().Nullable().ForeignKey("fk_tasks_patient", "patients", "id").WithColumnDescription("The patient it concerns, if any.")
            .WithColumn("encounter_id").AsGuid().Nullable().ForeignKey("fk_tasks_encounter", "encounters", "id").WithColumnDescription("The encounter it came from, if any.")
            .WithColumn("due_date").AsDateTimeOffset().Nullable().WithColumnDescription("When it should be done.")
            .WithColumn("priority").AsString(10).NotNullable().WithDefaultValue("medium").WithColumnDescription("low, medium, high or urgent.")
            .WithColumn("status").AsString(20).NotNullable().WithDefaultValue("pending").WithColumnDescription("pending, in_progress, completed or cancelled.")
            .WithColumn("task_type").AsString(20).NotNullable().WithColumnDescription("documentation, review, follow_up, referral, order or other.")
            .WithTimestamps()
            .WithColumn("completed_at").AsDateTimeOffset().Nullable().WithColumnDescription("When it was completed.");

        Check("tasks", "valid_priority", $"priority IN ({In("low", "medium", "high", "urgent")})");
        Check("tasks", "valid_status", $"status IN ({In("pending", "in_progress", "completed", "cancelled")})");
        Check("tasks", "valid_type", $"task_type IN ({In("documentation", "review", "follow_up", "referral", "order", "other")})");
        Index("tasks", "idx_tasks_assigned_to", "assigned_to");
        Index("tasks", "idx_tasks_created_by", "created_by");
        PartialIndex("tasks", "idx_tasks_patient", "patient_id", "patient_id IS NOT NULL");
        PartialIndex("tasks", "idx_tasks_encounter", "encounter_id", "encounter_id IS NOT NULL");
        Index("tasks", "idx_tasks_status", "status");
        PartialIndex("tasks", "idx_tasks_due_date", "due_date", "due_date IS NOT NULL");
        Index("tasks", "idx_tasks_priority", "priority");
        Index("tasks", "idx_tasks_type", "task_type");
        UpdatedAtTrigger("tasks");
    }
}
