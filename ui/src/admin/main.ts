import { mount } from 'svelte';
import '../app.css';
import Admin from './Admin.svelte';

mount(Admin, { target: document.getElementById('admin')! });
