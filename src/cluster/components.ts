// Starts the in-process components (each a plain API client using the admin kubeconfig).
export interface ComponentOptions { kubeconfigPath: string; disable: string[]; log: (msg: string) => void }

export async function startControllers(opts: ComponentOptions): Promise<() => Promise<void>> {
  const stops: (() => Promise<void> | void)[] = [];
  if (!opts.disable.includes('controllers')) {
    const { runControllers } = await import('../controllers/index.js');
    stops.push(await runControllers({ kubeconfigPath: opts.kubeconfigPath, log: opts.log }));
  }
  return async () => { for (const s of stops.reverse()) await s(); };
}
