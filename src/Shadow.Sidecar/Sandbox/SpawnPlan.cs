namespace Shadow.Sidecar.Sandbox;

/// <summary>What to exec for one command: the program and its full argv (argv[0] included).</summary>
internal sealed record SpawnPlan(string Program, string[] Argv);
