// cancel.html: back from the payment page without paying; the cart is untouched.
import { start } from './shop.js';

start();
