namespace DrAssistant.Seeder;

public static class Program
{
    // The exit code is returned from Main: a seeding that failed must exit non-zero, for the AppHost's dashboard
    // and for scripts.
    public static Task<int> Main(string[] args) => SeederApp.RunAsync(args, Console.Out);
}
