namespace DrAssistant.Bench;

/// <summary>
/// The load client of <c>bench/run.sh</c>:
/// <c>pgbench-scripts DIR</c> writes the endpoints' SQL as pgbench scripts;
/// <c>prepare API DB DOCTORS PATIENTS FILE</c> signs doctors in and picks patients;
/// <c>load API FILE SCENARIO CONCURRENCY SECONDS</c> drives one scenario and prints its latencies as JSON.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args) => args switch
    {
        ["pgbench-scripts", var directory] => PgbenchScripts.Write(directory),
        ["prepare", var api, var db, var doctors, var patients, var file] =>
            await Workload.PrepareAsync(new Uri(api), db, int.Parse(doctors, System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(patients, System.Globalization.CultureInfo.InvariantCulture), file),
        ["load", var api, var file, var scenario, var concurrency, var seconds] =>
            await Load.RunAsync(new Uri(api), file, scenario, int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture),
                TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture))),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: pgbench-scripts DIR | prepare API DB DOCTORS PATIENTS FILE | load API FILE SCENARIO CONCURRENCY SECONDS");
        return 64;
    }
}
