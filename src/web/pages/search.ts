export async function render(main: HTMLElement): Promise<void> {
  main.append('search');
}
